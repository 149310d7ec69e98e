import Foundation

/// `s` as one POSIX shell word: single-quoted, with each `'` written as `'\''`.
public func shellQuoted(_ s: String) -> String {
    "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
