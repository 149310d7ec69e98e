import FATNNJobs
import Foundation
import HTTPTypes
import Hummingbird

extension CoordinatorRoutes {
    /// `GET datasets/{name}` (the manifest) and `GET datasets/{name}/{file}` (one file's bytes,
    /// with header `X-Content-SHA256`): how workers on hosts without a dataset fetch it.
    static func addDatasetRoutes(_ api: RouterGroup<CoordinatorContext>, library: DatasetLibrary) {
        api.get("datasets/{name}") { _, context in
            let name = try context.parameters.require("name")
            return try json(try await library.manifest(name).manifest)
        }
        api.get("datasets/{name}/{file}") { _, context in
            let name = try context.parameters.require("name"), file = try context.parameters.require("file")
            guard API.DatasetFile.isValidName(file) else {
                throw APIError(.invalidRequest, "'\(file)' is not a dataset file name")
            }
            let (data, entry) = try await library.contents(name, file)
            return Response(status: .ok, headers: [.contentType: "application/octet-stream",
                                                   HTTPField.Name("X-Content-SHA256")!: entry.sha256],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
