import Foundation

/// Where dataset NAME lives under a data root (`--data-dir`): one rule for the worker, which
/// reads the dataset, and the coordinator, which serves it.
public enum DatasetFolder {
    /// `root/NAME` if that folder exists, else `root` itself when it is named NAME, else nil, so
    /// that a folder meant for one dataset is never read as another.
    public static func resolve(_ name: String, under root: String) -> String? {
        var isDir: ObjCBool = false
        let sub = (root as NSString).appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: sub, isDirectory: &isDir), isDir.boolValue { return sub }
        return (root as NSString).standardizingPath.hasSuffix("/" + name) ? root : nil
    }

    /// Why ``resolve(_:under:)`` found nothing.
    public static func missing(_ name: String, under root: String) -> String {
        "data directory \(root) has no \(name)/ directory (nor is it named \(name))"
    }
}
