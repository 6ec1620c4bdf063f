/// The one rule for vehicle (device) identities, shared by the NMEA decoder (what a tracker may send), the CLI
/// (`orbita vehicles add`), the API (`PUT /api/vehicles/{id}`, percent-decoded first) and `--register-unknown`:
/// 1–32 ASCII letters, digits, `-`, `_` or `.`. Display names (`name`) may hold anything printable.
public enum VehicleIdentifier {
    /// The longest identity, in bytes.
    public static let maximumLength = 32

    /// Whether a byte may be part of an identity.
    @inlinable
    public static func isAllowed(_ byte: UInt8) -> Bool {
        (byte &- UInt8(ascii: "0")) < 10 || (byte &- UInt8(ascii: "A")) < 26 || (byte &- UInt8(ascii: "a")) < 26
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
    }

    /// What is wrong with an identity, or nil when it is one.
    public static func problem(_ id: String) -> String? {
        guard !id.isEmpty, id.utf8.count <= maximumLength, id.utf8.allSatisfy(isAllowed) else {
            return "a vehicle ID is 1–\(maximumLength) letters, digits, '-', '_' or '.' (got \(id.debugDescription))"
        }
        return nil
    }
}

/// The rule for the names of geofences and routes: 1–200 characters, none of them a control character (a name is
/// printed in tables and logs).
public enum ZoneName {
    /// The longest name, in characters.
    public static let maximumLength = 200

    /// What is wrong with a name, or nil when it is one.
    public static func problem(_ name: String) -> String? {
        guard (1...maximumLength).contains(name.count),
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            return "a name is 1–\(maximumLength) characters without control characters (got \(name.debugDescription))"
        }
        return nil
    }
}
