import Glibc
public import OrbitaModel

/// The basemap Orbita ships, drawn when no `--basemap` is given: Natural Earth's coastlines, land borders, lakes,
/// rivers and populated places (public domain; 1:50m for the world, 1:10m for Eastern Europe and European Russia),
/// simplified by `scripts/make-basemap.py` into about 330 KB compiled into the binary (no file to install).
public enum DefaultBasemap {
    /// What a feature is.
    public enum Kind: UInt8, Sendable, CaseIterable {
        /// A coastline.
        case coastline
        /// A land border between countries.
        case border
        /// A lake's outline (a ring).
        case lake
        /// A river or lake centre line.
        case river
        /// A populated place (one coordinate and a name).
        case place
    }

    /// A line, a ring or a place.
    public struct Feature: Sendable {
        /// What it is.
        public var kind: Kind
        /// Natural Earth's `min_zoom`: the web-map zoom from which it is shown.
        public var minimumZoom: Double
        /// A place's name (empty for lines).
        public var name: String
        /// Its vertices (one for a place), WGS 84.
        public var coordinates: [Coordinate]

        /// The coarsest scale it is drawn at, in metres per Braille dot: a view 200 dots wide showing what a
        /// 1,000-pixel web map shows at `minimumZoom` (`782,715 / 2^zoom`).
        public var maximumMetresPerDot: Double { 782_715 / pow(2, minimumZoom) }
    }

    /// Every feature (decoded once, on first use).
    public static let features: [Feature] = decode(encoded)

    /// The features with at least one vertex in the box.
    public static func features(south: Double, west: Double, north: Double, east: Double) -> [Feature] {
        features.filter { feature in
            feature.coordinates.contains {
                $0.latitude >= south && $0.latitude <= north && $0.longitude >= west && $0.longitude <= east
            }
        }
    }

    /// Decodes the script's format: `OBM1`, a varint count, then per feature its kind, `min_zoom` × 10, a
    /// length-prefixed UTF-8 name, a vertex count and zig-zag varint deltas of longitude and latitude in 1e-3°.
    static func decode(_ base64: String) -> [Feature] {
        let bytes = Base64.decode(base64)
        guard bytes.count > 4, bytes[0..<4].elementsEqual("OBM1".utf8) else { return [] }
        var offset = 4
        func varint() -> Int? {
            var value = 0
            var shift = 0
            while offset < bytes.count, shift < 63 {
                let byte = bytes[offset]
                offset += 1
                value |= Int(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            return nil
        }
        func signed() -> Int? { varint().map { $0 & 1 == 0 ? $0 >> 1 : -($0 >> 1) - 1 } }
        guard let count = varint() else { return [] }
        var features: [Feature] = []
        features.reserveCapacity(count)
        for _ in 0..<count {
            guard offset + 2 <= bytes.count, let kind = Kind(rawValue: bytes[offset]) else { break }
            let zoom = Double(bytes[offset + 1]) / 10
            offset += 2
            guard let length = varint(), offset + length <= bytes.count else { break }
            let name = String(decoding: bytes[offset..<(offset + length)], as: UTF8.self)
            offset += length
            guard let vertices = varint() else { break }
            var coordinates: [Coordinate] = []
            coordinates.reserveCapacity(vertices)
            var longitude = 0
            var latitude = 0
            for _ in 0..<vertices {
                guard let dx = signed(), let dy = signed() else { break }
                longitude += dx
                latitude += dy
                coordinates.append(Coordinate(latitude: Double(latitude) / 1_000, longitude: Double(longitude) / 1_000))
            }
            features.append(Feature(kind: kind, minimumZoom: zoom, name: name, coordinates: coordinates))
        }
        return features
    }
}

/// Base64 (RFC 4648) to bytes, skipping anything outside the alphabet (the literal's line breaks and indent).
enum Base64 {
    static func decode(_ text: String) -> [UInt8] {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(character)] = UInt8(index)
        }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for character in text.utf8 {
            let value = table[Int(character)]
            guard value != 0xFF else { continue }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return out
    }
}
