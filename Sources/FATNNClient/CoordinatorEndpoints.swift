import Foundation

/// The coordinators a client may talk to (several coordinators serving one PostgreSQL store),
/// and the one in use: requests go to it until it stops answering, then to the next. Shared by
/// every copy of a client, so that one failover moves them all.
final class CoordinatorEndpoints: @unchecked Sendable {
    /// The URLs, in the order given.
    let all: [String]
    private let lock = NSLock()
    private var index = 0

    /// `text`: one URL, or several separated by commas.
    ///
    /// - Throws: ``ClientError/invalidURL(_:)`` for an empty list or a URL that is not http(s).
    init(_ text: String) throws {
        var urls: [String] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            var url = part.trimmingCharacters(in: .whitespaces)
            while url.hasSuffix("/") { url.removeLast() }
            guard url.hasPrefix("http://") || url.hasPrefix("https://"), URL(string: url)?.host != nil else {
                throw ClientError.invalidURL(text)
            }
            if !urls.contains(url) { urls.append(url) }
        }
        guard !urls.isEmpty else { throw ClientError.invalidURL(text) }
        all = urls
    }

    /// The coordinator requests go to now.
    var current: String { lock.withLock { all[index] } }

    /// `failed` stopped answering: the next one becomes current (unless another caller moved on
    /// already). Returns the new current URL.
    @discardableResult
    func failover(from failed: String) -> String {
        lock.withLock {
            if all[index] == failed { index = (index + 1) % all.count }
            return all[index]
        }
    }
}
