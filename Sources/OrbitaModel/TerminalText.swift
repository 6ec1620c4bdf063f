/// Text from the network or the database made safe for a terminal. Names come from trackers, the API and GeoJSON
/// properties, so a vehicle named "\u{1B}]0;pwned\u{07}" must not retitle the window, move the cursor or hide text:
/// control characters (C0, DEL, C1 — ESC among them), line and paragraph separators, and format characters
/// (bidirectional overrides, zero-width characters, tags) become `?`. Every text a command writes to a terminal goes
/// through here; JSON writers escape the same characters instead (`TextFormat.jsonString`).
public enum TerminalText {
    /// Whether a character could drive or disguise a terminal's output.
    @inline(__always)
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x20 || (0x7F...0x9F).contains(value) || (0x2028...0x2029).contains(value) { return true }
        return value >= 0xAD && scalar.properties.generalCategory == .format
    }

    /// A value for one cell or one place in a line: every unsafe character, newlines and tabs included, becomes `?`.
    public static func cell(_ text: String) -> String { replacing(text) { isUnsafe($0) } }

    /// A whole message or table: like `cell`, but newlines and tabs stay (a carriage return does not: it would let
    /// a value overwrite the start of its line).
    public static func output(_ text: String) -> String {
        replacing(text) { $0 != "\n" && $0 != "\t" && isUnsafe($0) }
    }

    /// For a fixed-width display (the terminal map): `cell`, and also characters two cells wide (CJK, Hangul,
    /// fullwidth forms, emoji, every plane above U+1F000) and combining marks become `?`, so a name always takes as
    /// many cells as it has characters; the result is cut to `limit` characters.
    public static func sanitise(_ text: String, limit: Int = 40) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            guard count < limit else { break }
            let value = scalar.value
            let wide =
                scalar.properties.isEmojiPresentation || (0x1100...0x115F).contains(value)
                || (0x2E80...0xA4CF).contains(value) || (0xAC00...0xD7A3).contains(value)
                || (0xF900...0xFAFF).contains(value) || (0xFE30...0xFE4F).contains(value)
                || (0xFF00...0xFF60).contains(value) || (0xFFE0...0xFFE6).contains(value) || value >= 0x1F000
            let combining = scalar.properties.generalCategory == .nonspacingMark
            out.unicodeScalars.append(isUnsafe(scalar) || wide || combining ? "?" : scalar)
            count += 1
        }
        return out
    }

    private static func replacing(_ text: String, where unsafe: (Unicode.Scalar) -> Bool) -> String {
        guard text.unicodeScalars.contains(where: unsafe) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { out.append(unsafe(scalar) ? "?" : scalar) }
        return String(out)
    }
}
