#!/usr/bin/env python3
"""Builds Orbita's default basemap (Sources/ConsoleMap/DefaultBasemap+Data.swift) from Natural Earth.

Source: Natural Earth 4.0.0 (public domain, naturalearthdata.com), as converted to GeoJSON in
../shared/corpus/basemap (see its README: martynafford/natural-earth-geojson, CC0). Layers:
  - world, 1:50m: coastline, land boundaries between countries, lakes, rivers and lake centre lines, populated
    places;
  - Eastern Europe, European Russia, the Urals and the Caucasus (lon 19..62, lat 41..70.5), 1:10m: the same layers
    in more detail; inside that box they replace the 1:50m ones.

Each line is simplified (Douglas-Peucker: 0.02 deg for 1:50m, 0.004 deg for 1:10m, about the source scale's
accuracy and below a Braille dot at the zooms each is drawn at), coordinates are rounded to 1e-3 deg (111 m of
latitude) and delta-encoded as zig-zag varints; places keep their name,
Natural Earth's min_zoom and are ordered by importance (min_zoom, then population). The binary is written as base64
in a Swift string literal so that the map needs no resource file next to the binary.

usage: scripts/make-basemap.py [CORPUS_BASEMAP_DIR]     (default ../shared/corpus/basemap)
"""
import base64
import json
import math
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "corpus", "basemap")
OUTPUT = os.path.join(ROOT, "Sources", "ConsoleMap", "DefaultBasemap+Data.swift")
BOX = (19.0, 41.0, 62.0, 70.5)  # the 1:10m layers' clip box: lon_min, lat_min, lon_max, lat_max
KINDS = {"coastline": 0, "border": 1, "lake": 2, "river": 3, "place": 4}
SCALE = 1_000  # units per degree (111 m of latitude)


def load(path):
    with open(os.path.join(CORPUS, path)) as file:
        return json.load(file)["features"]


def lines_of(geometry):
    """Every line or ring of a geometry, as lists of (lon, lat)."""
    if geometry is None:
        return []
    kind, coordinates = geometry["type"], geometry["coordinates"]
    if kind == "LineString":
        return [coordinates]
    if kind in ("MultiLineString", "Polygon"):
        return list(coordinates)
    if kind == "MultiPolygon":
        return [ring for polygon in coordinates for ring in polygon]
    return []


def inside(point):
    return BOX[0] <= point[0] <= BOX[2] and BOX[1] <= point[1] <= BOX[3]


def crossing(a, b):
    """Where the segment a-b crosses the box's edge (a and b on opposite sides), by bisection."""
    low, high = (a, b) if not inside(a) else (b, a)
    for _ in range(40):
        middle = ((low[0] + high[0]) / 2, (low[1] + high[1]) / 2)
        if inside(middle):
            high = middle
        else:
            low = middle
    return low


def outside_parts(line):
    """The parts of a line outside the box (the 1:10m layers draw what is inside)."""
    parts, current = [], []
    for index, point in enumerate(line):
        if inside(point):
            if current:
                current.append(crossing(current[-1], point))
                parts.append(current)
                current = []
        else:
            if index > 0 and inside(line[index - 1]):
                current = [crossing(line[index - 1], point)]
            current.append(point)
    if current:
        parts.append(current)
    return [part for part in parts if len(part) >= 2]


def simplify(points, tolerance):
    """Douglas-Peucker on lon/lat, longitude scaled by cos(latitude)."""
    if len(points) < 3:
        return points
    scale = math.cos(math.radians(sum(p[1] for p in points) / len(points)))
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        ax, ay = points[first][0] * scale, points[first][1]
        bx, by = points[last][0] * scale, points[last][1]
        dx, dy = bx - ax, by - ay
        length = dx * dx + dy * dy
        worst, worst_index = 0.0, first
        for index in range(first + 1, last):
            px, py = points[index][0] * scale, points[index][1]
            t = 0.0 if length == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
            distance = (px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2
            if distance > worst:
                worst, worst_index = distance, index
        if worst > tolerance * tolerance:
            keep[worst_index] = True
            stack += [(first, worst_index), (worst_index, last)]
    return [point for point, kept in zip(points, keep) if kept]


def varint(value, out):
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return


def zigzag(value):
    return value * 2 if value >= 0 else -value * 2 - 1


def quantised(points):
    out = []
    for lon, lat in points:
        point = (round(lon * SCALE), round(lat * SCALE))
        if not out or out[-1] != point:
            out.append(point)
    return out


def main():
    features = []  # (kind, min_zoom, name, points)
    layers = [
        ("coastline", "ne_50m_coastline", "ne_10m_coastline"),
        ("border", "ne_50m_admin_0_boundary_lines_land", "ne_10m_admin_0_boundary_lines_land"),
        ("lake", "ne_50m_lakes", "ne_10m_lakes"),
        ("river", "ne_50m_rivers_lake_centerlines", "ne_10m_rivers_lake_centerlines"),
    ]
    for kind, world, detail in layers:
        for feature in load(f"naturalearth-50m-world/{world}.geojson"):
            zoom = feature["properties"].get("min_zoom") or 0
            for line in lines_of(feature["geometry"]):
                if kind == "lake":
                    parts = [] if any(inside(p) for p in line) else [line]
                else:
                    parts = outside_parts(line)
                for part in parts:
                    features.append((kind, zoom, "", simplify(part, 0.02)))
        for feature in load(f"naturalearth-10m-east-europe/{detail}.geojson"):
            zoom = feature["properties"].get("min_zoom") or 0
            for line in lines_of(feature["geometry"]):
                features.append((kind, zoom, "", simplify(line, 0.004)))
    places = []
    for feature in load("naturalearth-50m-world/ne_50m_populated_places_simple.geojson"):
        point = feature["geometry"]["coordinates"]
        if not inside(point):
            places.append(feature)
    places += [f for f in load("naturalearth-10m-east-europe/ne_10m_populated_places_simple.geojson")]
    places.sort(key=lambda f: (f["properties"].get("min_zoom") or 0, -(f["properties"].get("pop_max") or 0)))
    for place in places:
        properties = place["properties"]
        features.append(("place", properties.get("min_zoom") or 0, properties["name"], [place["geometry"]["coordinates"]]))

    out = bytearray(b"OBM1")
    kept = [(k, z, n, quantised(p)) for k, z, n, p in features]
    kept = [f for f in kept if (f[0] == "place" and f[3]) or len(f[3]) >= 2]
    varint(len(kept), out)
    vertices = 0
    for kind, zoom, name, points in kept:
        out.append(KINDS[kind])
        out.append(max(0, min(255, round(zoom * 10))))
        encoded = name.encode("utf-8")
        varint(len(encoded), out)
        out += encoded
        varint(len(points), out)
        previous = (0, 0)
        for point in points:
            varint(zigzag(point[0] - previous[0]), out)
            varint(zigzag(point[1] - previous[1]), out)
            previous = point
        vertices += len(points)
    text = base64.b64encode(bytes(out)).decode("ascii")
    rows = [text[i:i + 100] for i in range(0, len(text), 100)]
    with open(OUTPUT, "w") as file:
        file.write("// Generated by scripts/make-basemap.py from Natural Earth 4.0.0 (public domain, naturalearthdata.com;\n")
        file.write("// \"Made with Natural Earth\"). Do not edit: run the script again.\n")
        file.write(f"// {len(kept)} features, {vertices} vertices, {len(out)} bytes.\n\n")
        file.write("extension DefaultBasemap {\n")
        file.write("    /// The encoded basemap (see `DefaultBasemap.decode`), base64 in rows of 100 characters.\n")
        file.write("    static let encoded = \"\"\"\n")
        for row in rows:
            file.write("        " + row + "\n")
        file.write("        \"\"\"\n}\n")
    counts = {}
    for kind, *_ in kept:
        counts[kind] = counts.get(kind, 0) + 1
    print(f"{OUTPUT}: {len(kept)} features {counts}, {vertices} vertices, {len(out)} bytes, {len(text)} base64")


if __name__ == "__main__":
    main()
