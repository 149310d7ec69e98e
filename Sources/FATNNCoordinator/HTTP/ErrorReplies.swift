import FATNNJobs
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Every error reply of the coordinator, in one place: a machine code (``API/ErrorCode``, shared
/// with the clients), a message, and the status the code implies. Routes throw ``APIError`` for
/// their own checks, and the store's, sweep, query and dataset errors as they are: each maps
/// itself to a code below. ``ErrorCodeMiddleware`` gives a code to what the framework throws.
struct APIError: HTTPResponseError, CustomStringConvertible {
    let code: API.ErrorCode
    let message: String
    var headers: HTTPFields = [:]

    init(_ code: API.ErrorCode, _ message: String, headers: HTTPFields = [:]) {
        self.code = code
        self.message = message
        self.headers = headers
    }

    var status: HTTPResponse.Status { .init(code: code.status) }
    var description: String { "\(code.rawValue): \(message)" }

    /// `{"error": {"code": …, "message": …}}` with the code's status.
    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        let body = try JSONEncoder().encode(API.ErrorBody(code: code, message: message))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// An error that knows its reply.
protocol APIErrorConvertible: HTTPResponseError {
    var apiError: APIError { get }
}

extension APIErrorConvertible {
    public var status: HTTPResponse.Status { apiError.status }
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try apiError.response(from: request, context: context)
    }
}

extension StoreError: APIErrorConvertible {
    var apiError: APIError {
        switch self {
        case .jobNotFound: APIError(.jobNotFound, description)
        case .sweepNotFound: APIError(.sweepNotFound, description)
        case .staleClaim: APIError(.staleClaim, description)
        case .notAllowed: APIError(.notAllowed, description)
        case .invalid: APIError(.invalidRequest, description)
        }
    }
}

extension SweepError: APIErrorConvertible {
    var apiError: APIError { APIError(.invalidSweep, "invalid sweep: \(description)") }
}

extension QueryError: APIErrorConvertible {
    var apiError: APIError { APIError(.invalidQuery, description) }
}

extension DatasetLibrary.Failure: APIErrorConvertible {
    var apiError: APIError { APIError(.datasetNotFound, description) }
}

/// Gives a code to the errors the framework itself throws (a missing route parameter, a route
/// that does not exist), so that every error reply carries one.
struct ErrorCodeMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do { return try await next(request, context) } catch let e as HTTPError {
            throw APIError(API.ErrorCode(replyWithoutCode: Int(e.status.code)), e.body ?? e.status.reasonPhrase, headers: e.headers)
        }
    }
}
