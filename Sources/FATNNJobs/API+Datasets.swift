extension API {
    /// `GET /api/datasets/{name}`: the files a coordinator serves for one dataset, so that
    /// workers on hosts without it can fetch it once per host (`GET /api/datasets/{name}/{file}`).
    public struct DatasetManifest: Codable, Sendable, Equatable {
        /// The dataset's name (`fashion-mnist`, `mnist`, `cifar10`).
        public var name: String
        /// Every file the engine's loader reads, in its order.
        public var files: [DatasetFile]
        public init(name: String, files: [DatasetFile]) { self.name = name; self.files = files }
    }

    /// One file of a ``DatasetManifest``.
    public struct DatasetFile: Codable, Sendable, Equatable {
        /// Base name, e.g. `train-images-idx3-ubyte.gz`: letters, digits, `.`, `_` and `-` only.
        public var name: String
        /// Size in bytes.
        public var size: Int64
        /// Lowercase hex SHA-256 of the bytes.
        public var sha256: String
        public init(name: String, size: Int64, sha256: String) { self.name = name; self.size = size; self.sha256 = sha256 }

        /// Whether `name` is a safe base name for a dataset file (no path separators, no `..`).
        public static func isValidName(_ name: String) -> Bool {
            (1...128).contains(name.utf8.count) && name.first != "."
                && name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "._-".unicodeScalars.contains($0) }
        }
    }
}
