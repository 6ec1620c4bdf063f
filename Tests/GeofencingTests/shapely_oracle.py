#!/usr/bin/env python3
"""Oracle for GeofencingTests: reads cases (planar shapes in metres and query points) as JSON and writes, per point,
whether shapely says the shape covers it (boundary included) and the distance to the shape's boundary.
usage: shapely_oracle.py CASES.json OUT.txt   (OUT: one line per point, "covers distance", cases in order)"""
import json, sys
import shapely
from shapely.geometry import LineString, Point, Polygon, MultiPolygon

cases = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as out:
    for case in cases:
        if case["kind"] == "polygons":
            shape = MultiPolygon([Polygon(rings[0], rings[1:]) for rings in case["polygons"]])
            boundary = shape.boundary
            points = shapely.points(case["points"])
            covers = shapely.covers(shape, points)
            distance = shapely.distance(boundary, points)
        else:
            line = LineString(case["line"])
            points = shapely.points(case["points"])
            d = shapely.distance(line, points)
            covers = d <= case["halfWidth"]
            distance = d
        for c, d in zip(covers, distance):
            out.write("%d %.9f\n" % (int(c), d))
