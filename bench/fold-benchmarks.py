#!/usr/bin/env python3
"""Rebuilds docs/BENCHMARKS.md: its summary (everything before the first folded section, edited by
hand) followed by each area's write-up from docs/bench/, headings demoted one level.

Usage: python3 bench/fold-benchmarks.py   (from the repository root)
"""
import re
import sys

AREAS = ['demo', 'watchlist', 'netintel', 'identity', 'identity-population', 'rules', 'connectors',
         'linkage', 'server', 'console', 'synth', 'eval']
FIRST_FOLDED = '## redflag demo: where the time goes'


def demoted(text):
    lines = text.rstrip('\n').split('\n')
    first = next(line for line in lines if line.startswith('#'))
    demote = first.startswith('# ')
    out, fence = [], False
    for line in lines:
        if line.startswith('```'):
            fence = not fence
        if demote and not fence and re.match(r'^#+ ', line):
            line = '#' + line
        out.append(line)
    return '\n'.join(out) + '\n'


def main():
    current = open('docs/BENCHMARKS.md').read()
    at = current.find(FIRST_FOLDED)
    if at < 0:
        sys.exit(f'docs/BENCHMARKS.md: no "{FIRST_FOLDED}" heading to keep the summary above')
    parts = [current[:at].rstrip('\n') + '\n']
    for area in AREAS:
        parts.append(demoted(open(f'docs/bench/{area}.md').read()))
    open('docs/BENCHMARKS.md', 'w').write('\n'.join(parts))


if __name__ == '__main__':
    main()
