@testable import FATNNCoordinator
import Foundation
import Hummingbird
import Logging

/// The in-process router the route suites test: the coordinator's routes over `store`, with an
/// admin and a worker token, serving datasets from the temporary folder (none there).
enum RouteFixtures {
    static let admin = "admin-token-0123456789", worker = "worker-token-0123456789"

    static func router(_ store: JobStore) -> Router<CoordinatorContext> {
        CoordinatorRoutes.router(store: store.queue, tokens: CoordinatorTokens(admin: admin, worker: worker),
                                 logger: Logger(label: "test"), datasets: DatasetLibrary(dataDirectory: NSTemporaryDirectory()))
    }

    static func app(_ store: JobStore) -> some ApplicationProtocol { Application(router: router(store)) }
}
