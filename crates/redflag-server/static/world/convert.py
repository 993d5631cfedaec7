#!/usr/bin/env python3
"""Converts Natural Earth land (world-atlas `land-110m.json`, TopoJSON) into one SVG path.

Run once when the outline is refreshed:
    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python3 convert.py package/land-110m.json > land-110m.path

Projection: equirectangular on a 1000 x 500 canvas, x = (lon + 180) / 360 * 1000,
y = (90 - lat) / 180 * 500, rounded to 0.1. Rings with fewer than 4 points after rounding are dropped.
The console draws markers with the same formula (console/charts.rs `project`).
"""
import json
import sys


def main(path):
    topo = json.load(open(path))
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)

    def ring(indices):
        out = []
        for i in indices:
            pts = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
            out.extend(pts if not out else pts[1:])
        return out

    def polygons(geom):
        if geom["type"] == "Polygon":
            yield geom["arcs"]
        elif geom["type"] == "MultiPolygon":
            yield from geom["arcs"]
        elif geom["type"] == "GeometryCollection":
            for g in geom["geometries"]:
                yield from polygons(g)

    parts = []
    for poly in polygons(topo["objects"]["land"]):
        for r in poly:
            pts = []
            for lon, lat in ring(r):
                p = (round((lon + 180) / 360 * 1000, 1), round((90 - lat) / 180 * 500, 1))
                if not pts or pts[-1] != p:
                    pts.append(p)
            if len(pts) < 4:
                continue
            # Relative segments in tenths keep the file small (about 35 kB for 110m land).
            q = [(round(x * 10), round(y * 10)) for x, y in pts]
            steps = [f"{(b[0] - a[0]) / 10:g} {(b[1] - a[1]) / 10:g}" for a, b in zip(q, q[1:])]
            d = f"M{q[0][0] / 10:g} {q[0][1] / 10:g}l" + " ".join(steps) + "z"
            parts.append(d)
    sys.stdout.write("".join(parts) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
