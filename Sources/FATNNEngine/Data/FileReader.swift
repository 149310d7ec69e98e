import CZlib

/// Reads whole files, gzip-compressed or raw (zlib reads raw files through unchanged).
enum FileReader {
    /// Largest decompressed file read (a dataset file is far smaller; a gzip bomb is cut off).
    static let maxBytes = 4 << 30

    /// The decompressed bytes of `path`.
    static func readAll(_ path: String) throws -> [UInt8] {
        guard let file = gzopen(path, "rb") else {
            throw DataError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { gzclose(file) }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if n < 0 {
                var code: Int32 = 0
                let msg = gzerror(file, &code).map { String(cString: $0) } ?? "read error"
                throw DataError.malformed(path: path, reason: "corrupt or truncated gzip data (\(msg))")
            }
            if n == 0 { break }
            guard out.count + Int(n) <= maxBytes else {
                throw DataError.malformed(path: path, reason: "decompresses to more than \(maxBytes >> 30) GiB; not a dataset file")
            }
            out.append(contentsOf: chunk[0..<Int(n)])
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
