import Glibc

/// The controlling terminal in raw mode for the interactive map: alternate screen, hidden cursor, keys unbuffered.
/// Restored on `restore()`, at exit, and on fatal signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGABRT,
/// SIGILL, SIGFPE, SIGTRAP — Swift's traps), so a crash never leaves a shell without echo.
public enum Terminal {
    /// The settings to restore, on the heap so that the signal handler reaches them through a plain pointer (no
    /// Swift access checks inside a handler).
    nonisolated(unsafe) private static let saved = UnsafeMutablePointer<termios>.allocate(capacity: 1)
    nonisolated(unsafe) private static var active = false
    /// Leaves the alternate screen and shows the cursor: a C string made before any handler runs (no allocation in
    /// a handler).
    private static let leave: StaticString = "\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l"

    /// Enters raw mode; false when standard input or output is not a terminal.
    public static func enter() -> Bool {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1, tcgetattr(STDIN_FILENO, saved) == 0 else {
            return false
        }
        var raw = saved.pointee
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL)
        guard tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0 else { return false }
        active = true
        for number in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE, SIGTRAP] {
            signal(number) { number in
                Terminal.restoreFromSignal()
                signal(number, SIG_DFL)
                raise(number)
            }
        }
        atexit { Terminal.restore() }
        write("\u{1B}[?1049h\u{1B}[?25l\u{1B}[2J")
        return true
    }

    /// Leaves raw mode and the alternate screen (idempotent).
    public static func restore() {
        guard active else { return }
        active = false
        _ = Glibc.write(STDOUT_FILENO, leave.utf8Start, leave.utf8CodeUnitCount)
        _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, saved)
    }

    /// Async-signal-safe restore: write(2) and tcsetattr(3) only.
    private static func restoreFromSignal() {
        guard active else { return }
        _ = Glibc.write(STDOUT_FILENO, leave.utf8Start, leave.utf8CodeUnitCount)
        _ = tcsetattr(STDIN_FILENO, TCSANOW, saved)
    }

    /// The terminal's size in cells (80 × 24 when unknown).
    public static func size() -> (columns: Int, rows: Int) {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else {
            return (80, 24)
        }
        return (Int(size.ws_col), Int(size.ws_row))
    }

    /// Writes text to standard output at once.
    public static func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeMutableBytes {
                Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count)
            }
            if written <= 0 { break }
            offset += written
        }
        bytes.removeAll()
    }

    /// Keys typed within `timeout` seconds (none when nothing was typed).
    public static func keys(timeout: Double) -> [Key] {
        var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(timeout * 1000)) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = read(STDIN_FILENO, &buffer, buffer.count)
        guard count > 0 else { return [] }
        return Key.parse(Array(buffer[0..<count]))
    }
}

/// A key press, from the bytes a terminal sends.
public enum Key: Equatable, Sendable {
    case up, down, left, right, enter, tab, escape, backspace
    /// Ctrl-C: quits from anywhere (the terminal's own signal keys are off in raw mode).
    case interrupt
    case character(Character)

    /// The keys in `bytes`: arrows (CSI and SS3 forms), other escape sequences skipped whole up to their final byte
    /// (`ESC [ 1 ; 5 C`, `ESC [ 3 ~`), control keys, printable ASCII.
    public static func parse(_ bytes: [UInt8]) -> [Key] {
        var keys: [Key] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x1B, index + 1 < bytes.count,
                bytes[index + 1] == UInt8(ascii: "[") || bytes[index + 1] == UInt8(ascii: "O")
            {
                // A control sequence: parameters and intermediates (0x20–0x3F), then one final byte (0x40–0x7E).
                var end = index + 2
                while end < bytes.count, (0x20...0x3F).contains(bytes[end]) { end += 1 }
                guard end < bytes.count else { break }  // cut off at the end of the read: dropped, not misread
                switch bytes[end] {
                case UInt8(ascii: "A"): keys.append(.up)
                case UInt8(ascii: "B"): keys.append(.down)
                case UInt8(ascii: "C"): keys.append(.right)
                case UInt8(ascii: "D"): keys.append(.left)
                default: break
                }
                index = end + 1
                continue
            }
            switch byte {
            case 0x1B: keys.append(.escape)
            case 0x03: keys.append(.interrupt)
            case 0x0D, 0x0A: keys.append(.enter)
            case 0x09: keys.append(.tab)
            case 0x7F, 0x08: keys.append(.backspace)
            case 0x20..<0x7F: keys.append(.character(Character(Unicode.Scalar(byte))))
            default: break
            }
            index += 1
        }
        return keys
    }
}
