import Foundation
import GeoJSON
import OrbitaModel

/// A comma-separated option as its items.
func list(_ text: String?) -> [String] {
    (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

/// A file's bytes, or a clear error.
func readFile(_ path: String) throws -> Data {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CommandError("orbita: cannot read \(path)")
    }
    return data
}

/// A geofence shape from a GeoJSON file.
func readShape(_ path: String, corridor: Double?) throws -> GeoShape {
    do {
        return try GeoJSON.shape(in: try readFile(path), defaultHalfWidth: corridor)
    } catch let error as GeoJSON.ParseError {
        throw CommandError("orbita geofence add: \(path): \(error)")
    }
}
