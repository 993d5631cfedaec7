#!/usr/bin/env python3
"""Writes crates/redflag-watchlist/data/chinese_romanisation.tsv: every Hanyu Pinyin syllable with its
Wade-Giles spelling (apostrophes and umlauts dropped, as names are written in lists and passports).

The syllable inventory is the standard Pinyin table; the conversion follows the published Wade-Giles
correspondence (initials b/p->p, d/t->t, g/k->k, j/q/zh/ch->ch, x->hs, r->j, z/c->ts, zi/ci->tzu, si->ssu;
finals -ong->-ung, -ian->-ien, -ie->-ieh, -ue->-ueh, e->o after g/k/h, -uo->-o except after g/k/h/sh,
gui/kui->kuei, er->erh, you->yu, yi->i). Deterministic: run it again and the file is the same.

Usage (repository root): python3 bench/watchlist/make_chinese_table.py
"""
from pathlib import Path

SYLLABLES = """
a ai an ang ao e ei en eng er o ou
yi ya yao ye you yan yin yang ying yong yu yue yuan yun
wu wa wo wai wei wan wen wang weng
ba bo bai bei bao ban ben bang beng bi biao bie bian bin bing bu
pa po pai pei pao pou pan pen pang peng pi piao pie pian pin ping pu
ma mo me mai mei mao mou man men mang meng mi miao mie miu mian min ming mu
fa fo fei fou fan fen fang feng fu
da de dai dei dao dou dan den dang deng dong di diao die diu dian ding du duo dui duan dun
ta te tai tao tou tan tang teng tong ti tiao tie tian ting tu tuo tui tuan tun
na ne nai nei nao nou nan nen nang neng nong ni niao nie niu nian nin niang ning nu nuo nuan nv nve
la le lai lei lao lou lan lang leng long li lia liao lie liu lian lin liang ling lu luo luan lun lv lve
ga ge gai gei gao gou gan gen gang geng gong gu gua guo guai gui guan gun guang
ka ke kai kao kou kan ken kang keng kong ku kua kuo kuai kui kuan kun kuang
ha he hai hei hao hou han hen hang heng hong hu hua huo huai hui huan hun huang
ji jia jiao jie jiu jian jin jiang jing jiong ju jue juan jun
qi qia qiao qie qiu qian qin qiang qing qiong qu que quan qun
xi xia xiao xie xiu xian xin xiang xing xiong xu xue xuan xun
zhi zha zhe zhai zhei zhao zhou zhan zhen zhang zheng zhong zhu zhua zhuo zhuai zhui zhuan zhun zhuang
chi cha che chai chao chou chan chen chang cheng chong chu chua chuo chuai chui chuan chun chuang
shi sha she shai shei shao shou shan shen shang sheng shu shua shuo shuai shui shuan shun shuang
ri re rao rou ran ren rang reng rong ru ruo rui ruan run
zi za ze zai zei zao zou zan zen zang zeng zong zu zuo zui zuan zun
ci ca ce cai cao cou can cen cang ceng cong cu cuo cui cuan cun
si sa se sai sao sou san sen sang seng song su suo sui suan sun
""".split()

SPECIAL = {
    "zhi": ["chih"], "chi": ["chih"], "shi": ["shih"], "ri": ["jih"],
    "zi": ["tzu"], "ci": ["tzu"], "si": ["ssu", "szu"],
    "e": ["o", "e"], "er": ["erh"], "yi": ["i"], "you": ["yu"], "yu": ["yu"],
    "ye": ["yeh"], "yan": ["yen"], "yue": ["yueh"], "yong": ["yung"],
    "gui": ["kuei", "kui"], "kui": ["kuei", "kui"],
}
INITIALS = ["zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x",
            "r", "z", "c", "s", "y", "w"]
WG_INITIAL = {"b": "p", "p": "p", "d": "t", "t": "t", "g": "k", "k": "k", "j": "ch", "q": "ch",
              "x": "hs", "zh": "ch", "ch": "ch", "sh": "sh", "r": "j", "z": "ts", "c": "ts", "s": "s"}


def split(s):
    for i in INITIALS:
        if s.startswith(i) and len(s) > len(i):
            return i, s[len(i):]
    return "", s


def wade_giles(py):
    if py in SPECIAL:
        return SPECIAL[py]
    ini, fin = split(py)
    fin = fin.replace("v", "u")  # ü written u in names
    if fin == "e" and ini in ("g", "k", "h"):
        fin = "o"
    elif fin == "uo" and ini not in ("g", "k", "h", "sh", ""):
        fin = "o"
    elif fin.endswith("ong"):
        fin = fin[:-3] + "ung"
    elif fin == "ian":
        fin = "ien"
    elif fin == "ie":
        fin = "ieh"
    elif fin in ("ue", "ve"):
        fin = "ueh"
    return [WG_INITIAL.get(ini, ini) + fin]


def main():
    out = Path(__file__).resolve().parents[2] / "crates/redflag-watchlist/data/chinese_romanisation.tsv"
    lines = [
        "# Hanyu Pinyin syllable <TAB> Wade-Giles spellings (apostrophes and umlauts dropped), one per line.",
        "# Made by bench/watchlist/make_chinese_table.py from the standard Pinyin syllable table and the",
        "# published Pinyin/Wade-Giles correspondence; see data/README.md. A name unit that spells one of",
        "# these (Zhang, Chang, Hsu, Chien...) carries the Pinyin syllables it can stand for as keys, so",
        "# 'Chang Chih-ming' meets 'Zhang Zhiming' per syllable. Pinyin 'nv'/'lv' are written nu/lu.",
    ]
    for py in SYLLABLES:
        name = py.replace("v", "u")
        wg = [w for w in wade_giles(py) if w != name]
        lines.append(f"{name}\t{' '.join(wg)}".rstrip())
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out} ({len(SYLLABLES)} syllables)")


if __name__ == "__main__":
    main()
