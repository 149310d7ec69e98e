/// Reader for the IDX format of MNIST and Fashion-MNIST (big-endian header, unsigned bytes).
public enum IDXReader {
    /// Images from an `idx3-ubyte` file (magic 0x00000803), gzip or raw.
    ///
    /// - Returns: count, rows, columns and the pixel bytes.
    /// - Throws: `DataError` naming the file when the header or the size is wrong.
    public static func readImages(path: String) throws -> (count: Int, rows: Int, cols: Int, pixels: [UInt8]) {
        try images(try FileReader.readAll(path), name: path)
    }

    /// Images from the (decompressed) bytes of an `idx3-ubyte` file; errors name it `path`.
    public static func images(_ bytes: [UInt8], name path: String) throws -> (count: Int, rows: Int, cols: Int, pixels: [UInt8]) {
        let dims = try header(bytes, path: path, expectedMagic: 0x0803, dimensions: 3)
        let (rc, o1) = dims[1].multipliedReportingOverflow(by: dims[2])
        let (expected, o2) = dims[0].multipliedReportingOverflow(by: rc)
        guard !o1, !o2 else {
            throw DataError.malformed(path: path, reason: "header dimensions \(dims) are too large")
        }
        try checkSize(bytes, headerSize: 16, expected: expected, path: path)
        return (dims[0], dims[1], dims[2], Array(bytes[16..<(16 + expected)]))
    }

    /// Labels from an `idx1-ubyte` file (magic 0x00000801), gzip or raw.
    public static func readLabels(path: String) throws -> [UInt8] {
        try labels(try FileReader.readAll(path), name: path)
    }

    /// Labels from the (decompressed) bytes of an `idx1-ubyte` file; errors name it `path`.
    public static func labels(_ bytes: [UInt8], name path: String) throws -> [UInt8] {
        let dims = try header(bytes, path: path, expectedMagic: 0x0801, dimensions: 1)
        try checkSize(bytes, headerSize: 8, expected: dims[0], path: path)
        return Array(bytes[8..<(8 + dims[0])])
    }

    private static func header(_ b: [UInt8], path: String, expectedMagic: UInt32, dimensions: Int) throws -> [Int] {
        let headerSize = 4 + 4 * dimensions
        guard b.count >= headerSize else {
            throw DataError.malformed(path: path, reason: "file has \(b.count) bytes, shorter than the \(headerSize)-byte IDX header")
        }
        let magic = be32(b, 0)
        guard magic == expectedMagic else {
            let want = String(expectedMagic, radix: 16), got = String(magic, radix: 16)
            throw DataError.malformed(path: path, reason: "IDX magic number is 0x\(got), expected 0x\(want) (\(dimensions == 1 ? "labels" : "images") file)")
        }
        return (0..<dimensions).map { Int(be32(b, 4 + 4 * $0)) }
    }

    private static func checkSize(_ b: [UInt8], headerSize: Int, expected: Int, path: String) throws {
        guard b.count - headerSize == expected else {
            throw DataError.malformed(path: path, reason: "header promises \(expected) data bytes, file holds \(b.count - headerSize) (truncated or corrupt)")
        }
    }

    private static func be32(_ b: [UInt8], _ o: Int) -> UInt32 {
        UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
    }
}
