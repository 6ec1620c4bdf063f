/// Locale-free text for numbers and JSON strings, shared by every writer of JSON, GPX and CSV.
public enum TextFormat {
    /// A number with a fixed count of decimals (rounded half away from zero), `null` when not finite.
    public static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return "null" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else { return String(value) }
        let integer = UInt64(scaled)
        let divisor = UInt64(scale)
        var fraction = String(integer % divisor)
        if fraction.count < decimals { fraction = String(repeating: "0", count: decimals - fraction.count) + fraction }
        let sign = value < 0 && integer != 0 ? "-" : ""
        return sign + String(integer / divisor) + (decimals > 0 ? "." + fraction : "")
    }

    /// A JSON string literal with the required escapes; every character that could drive a terminal
    /// (`TerminalText.isUnsafe`: controls, DEL, C1, separators, bidi and other format characters) is written as
    /// `\uXXXX` too, so JSON printed to a terminal is as safe as a table.
    public static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if TerminalText.isUnsafe(scalar) {
                    out += escaped(scalar)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// JSON text written by another encoder (Foundation's) with the characters `jsonString` escapes escaped too
    /// (they can only stand inside its strings, so escaping them keeps the document's meaning).
    public static func escapingUnsafeCharacters(ofJSON json: String) -> String {
        guard json.unicodeScalars.contains(where: TerminalText.isUnsafe) else { return json }
        var out = ""
        for scalar in json.unicodeScalars {
            if TerminalText.isUnsafe(scalar) { out += escaped(scalar) } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    /// `\uXXXX` (a surrogate pair above the Basic Multilingual Plane).
    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        var out = ""
        for unit in String(scalar).utf16 {
            let hex = String(unit, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        }
        return out
    }
}
