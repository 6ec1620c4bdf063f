import ArgumentParser
import ConsoleMap
import OrbitaModel

/// `orbita bench map`: frames of the terminal map renderer (the budget: ≤ 16 ms for 10,000 vehicles over a
/// 100,000-vertex basemap).
struct MapBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map", abstract: "Render terminal map frames; report the median frame time.")

    @Option(help: "Vehicles.") var vehicles = 10_000
    @Option(help: "Basemap vertices (lines of 100 vertices across the view and beyond).") var vertices = 100_000
    @Option(help: "Columns.") var columns = 200
    @Option(help: "Rows.") var rows = 60
    @Option(help: "Frames; the median is reported.") var frames = 50

    func run() {
        var rng = SeededGenerator(seed: 7)
        var scene = MapScene()
        // A 40 km square of wandering roads (half of it off screen, so culling is exercised) and the fleet in the
        // 20 km view, labelled.
        for _ in 0..<max(1, vertices / 100) {
            var point = PlanarPoint(x: rng.uniform(-20_000, 20_000), y: rng.uniform(-20_000, 20_000))
            var points: [PlanarPoint] = []
            for _ in 0..<100 {
                point = PlanarPoint(x: point.x + rng.uniform(-150, 150), y: point.y + rng.uniform(-150, 150))
                points.append(point)
            }
            scene.basemap.append(MapLine(points: points, colour: 240))
        }
        for index in 0..<vehicles {
            let state: MarkerState = [.moving, .moving, .stopped, .stale, .alarm][index % 5]
            scene.vehicles.append(
                MapVehicle(
                    id: "V\(index)", label: "Bus \(index)",
                    point: PlanarPoint(x: rng.uniform(-10_000, 10_000), y: rng.uniform(-10_000, 10_000)), state: state,
                    courseDegrees: rng.uniform(0, 360)))
        }
        let viewport = MapViewport(
            center: PlanarPoint(x: 0, y: 0), metresPerDot: 20_000 / Double(columns * 2), columns: columns, rows: rows)
        var times: [Double] = []
        var text = 0
        for _ in 0..<max(1, frames) {
            let start = ContinuousClock.now
            let grid = MapRenderer.render(scene, viewport: viewport)
            text += ANSIFrame.render(grid).utf8.count
            times.append((ContinuousClock.now - start).secondsValue * 1_000)
        }
        times.sort()
        print(
            "bench=map vehicles=\(vehicles) vertices=\(vertices) size=\(columns)x\(rows) frames=\(times.count)"
                + " median_ms=\(TextFormat.fixed(times[times.count / 2], decimals: 2))"
                + " max_ms=\(TextFormat.fixed(times[times.count - 1], decimals: 2)) bytes_per_frame=\(text / times.count)"
        )
    }
}
