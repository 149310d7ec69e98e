/// Request and response bodies of the coordinator's HTTP API, shared by server and clients.
/// All bodies are JSON. Every route requires `Authorization: Bearer TOKEN`.
public enum API {
    /// The largest model file a coordinator accepts from a worker and a client downloads.
    public static let maxArtifactBytes = 256 << 20

    /// `POST /api/sweeps` responds with this; the request body is the sweep document itself.
    public struct SubmitResponse: Codable, Sendable, Equatable {
        public var sweepId: Int64
        public var name: String
        /// Jobs the sweep expanded to.
        public var jobs: Int
        /// Jobs newly stored.
        public var added: Int
        /// Jobs already present from an earlier submission (same config hash), not added again.
        public var duplicates: Int
        public init(sweepId: Int64, name: String, jobs: Int, added: Int, duplicates: Int) {
            self.sweepId = sweepId; self.name = name; self.jobs = jobs; self.added = added; self.duplicates = duplicates
        }
    }

    /// `POST /api/jobs/claim`.
    public struct ClaimRequest: Codable, Sendable {
        /// Worker name, unique per process (e.g. `host-pid`).
        public var worker: String
        public var host: String
        public init(worker: String, host: String) { self.worker = worker; self.host = host }
    }

    /// A job handed to a worker, with the token that proves the claim.
    public struct ClaimedJob: Codable, Sendable, Equatable {
        public var id: Int64
        public var claimToken: String
        public var config: JobConfig
        /// The lease lasts this long from each heartbeat.
        public var leaseSeconds: Double
        /// 1 for the job's first claim.
        public var attempt: Int
        /// Which copy of its config this job is (0 unless submitted with `--replicate`).
        public var replica: Int
        public init(id: Int64, claimToken: String, config: JobConfig, leaseSeconds: Double, attempt: Int = 1, replica: Int = 0) {
            self.id = id; self.claimToken = claimToken; self.config = config; self.leaseSeconds = leaseSeconds
            self.attempt = attempt; self.replica = replica
        }

        /// Decodes a claim; a config this build cannot read throws ``UnreadableClaim`` (with
        /// the job's id and token, so that the worker can fail the job with the reason).
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decode(Int64.self, forKey: .id)
            claimToken = try c.decode(String.self, forKey: .claimToken)
            leaseSeconds = try c.decode(Double.self, forKey: .leaseSeconds)
            attempt = try c.decode(Int.self, forKey: .attempt)
            replica = try c.decode(Int.self, forKey: .replica)
            do { config = try c.decode(JobConfig.self, forKey: .config) } catch {
                throw UnreadableClaim(id: id, claimToken: claimToken, attempt: attempt, reason: Self.describe(error))
            }
        }

        /// A decoding error as `path: what`, e.g. `config.quantizer.kind: cannot read 'x'`.
        static func describe(_ error: any Error) -> String {
            // Coding paths start at the top of the document (`job.config.…`): keep `config.…`.
            func path(_ keys: [any CodingKey]) -> String {
                let names = keys.map(\.stringValue)
                return (["config"] + names[((names.firstIndex(of: "config") ?? -1) + 1)...]).joined(separator: ".")
            }
            switch error {
            case DecodingError.dataCorrupted(let c), DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
                return "\(path(c.codingPath)): \(c.debugDescription)"
            case DecodingError.keyNotFound(let key, let c):
                return "\(path(c.codingPath + [key])): required field is missing"
            default:
                return "\(error)"
            }
        }
    }

    /// A claimed job whose config this build cannot read: a name from a newer vocabulary (a
    /// coordinator ahead of its workers). The worker fails the job with ``reason`` instead of
    /// leaving it leased.
    public struct UnreadableClaim: Error, Sendable, CustomStringConvertible {
        public var id: Int64
        public var claimToken: String
        public var attempt: Int
        public var reason: String
        public var description: String { "job \(id): this worker cannot read its config: \(reason)" }
    }

    /// Response of a claim: no job when none can be handed out now.
    public struct ClaimResponse: Codable, Sendable {
        public var job: ClaimedJob?
        /// Without a job: whether jobs are still pending (queued in an unpaused sweep but not
        /// claimable yet, e.g. in backoff or waiting for a parent, or running elsewhere). An
        /// idle worker with `--exit-when-idle` exits only when this is false.
        public var pending: Bool
        public init(job: ClaimedJob?, pending: Bool = false) { self.job = job; self.pending = pending }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            job = try c.decodeIfPresent(ClaimedJob.self, forKey: .job)
            pending = try c.decodeIfPresent(Bool.self, forKey: .pending) ?? (job != nil)
        }
    }

    /// `POST /api/jobs/{id}/progress`: a heartbeat with the last finished epoch.
    public struct ProgressRequest: Codable, Sendable {
        public var claimToken: String
        public var epoch: EpochReport?
        public init(claimToken: String, epoch: EpochReport?) { self.claimToken = claimToken; self.epoch = epoch }
    }

    /// Reply to a heartbeat.
    public struct HeartbeatReply: Codable, Sendable, Equatable {
        /// A user cancelled the job: stop and release it.
        public var cancel: Bool
        /// The sweep's early stopping ended the job after the reported epoch (the reason): the
        /// job is already `pruned`; stop at the epoch boundary and report nothing more.
        public var prune: String?
        public init(cancel: Bool, prune: String? = nil) { self.cancel = cancel; self.prune = prune }
    }

    /// `POST /api/jobs/{id}/result`.
    public struct CompleteRequest: Codable, Sendable {
        public var claimToken: String
        public var result: JobResult
        public init(claimToken: String, result: JobResult) { self.claimToken = claimToken; self.result = result }
    }

    /// `POST /api/jobs/{id}/fail`.
    public struct FailRequest: Codable, Sendable {
        public var claimToken: String
        public var error: String
        public init(claimToken: String, error: String) { self.claimToken = claimToken; self.error = error }
    }

    /// `POST /api/jobs/{id}/release`: the worker cannot run the job on its host.
    public struct ReleaseRequest: Codable, Sendable {
        public var claimToken: String
        public var reason: String
        public init(claimToken: String, reason: String) { self.claimToken = claimToken; self.reason = reason }
    }

    /// `POST /api/cancel`: job ids, or every unfinished job of a sweep.
    public struct CancelRequest: Codable, Sendable {
        public var jobs: [Int64]
        public var sweep: String?
        public init(jobs: [Int64] = [], sweep: String? = nil) { self.jobs = jobs; self.sweep = sweep }
    }

    /// `POST /api/retry`: re-queue ended jobs in these states (optionally of one sweep).
    public struct RetryRequest: Codable, Sendable {
        public var states: [JobState]
        public var sweep: String?
        public init(states: [JobState], sweep: String? = nil) { self.states = states; self.sweep = sweep }
    }

    /// `POST /api/sweeps/{name}/pause` and `/resume` take no body; this answers cancel and retry.
    public struct JobsResponse: Codable, Sendable, Equatable {
        /// The jobs affected.
        public var jobs: [Int64]
        public init(jobs: [Int64]) { self.jobs = jobs }
    }

    /// `GET /api/jobs/{id}`: one job, its attempts and its epochs.
    public struct JobDetail: Codable, Sendable {
        public var row: LeaderboardRow
        public var config: JobConfig
        public var configHash: String
        public var replica: Int
        public var error: String?
        public var attempts: [Attempt]
        public var epochs: [EpochReport]
        public var result: JobResult?
        public init(row: LeaderboardRow, config: JobConfig, configHash: String, replica: Int, error: String?,
                    attempts: [Attempt], epochs: [EpochReport], result: JobResult?) {
            self.row = row; self.config = config; self.configHash = configHash; self.replica = replica; self.error = error
            self.attempts = attempts; self.epochs = epochs; self.result = result
        }
    }

    /// `GET /api/export`: one line of JSON per job, everything known about it.
    public struct ExportRecord: Codable, Sendable {
        public var id: Int64
        public var sweep: String
        public var state: JobState
        public var configHash: String
        public var groupHash: String
        public var replica: Int
        public var seed: Int
        public var config: JobConfig
        public var error: String?
        public var attempts: [Attempt]
        /// The accepted result: metrics, epochs, host, CPU, code version, packed inference.
        public var result: JobResult?
        /// The epochs a pruned job reported before it was stopped (it has no result); nil otherwise.
        public var epochs: [EpochReport]?
        public init(id: Int64, sweep: String, state: JobState, configHash: String, groupHash: String, replica: Int, seed: Int,
                    config: JobConfig, error: String?, attempts: [Attempt], result: JobResult?, epochs: [EpochReport]? = nil) {
            self.id = id; self.sweep = sweep; self.state = state; self.configHash = configHash; self.groupHash = groupHash
            self.replica = replica; self.seed = seed; self.config = config; self.error = error; self.attempts = attempts; self.result = result
            self.epochs = epochs
        }
    }

    /// Sweep progress for the dashboard: jobs per state per sweep, and the running jobs.
    public struct ProgressReport: Codable, Sendable {
        public struct SweepCounts: Codable, Sendable {
            public var name: String
            public var paused: Bool
            public var counts: [String: Int]
            /// Epochs still to run: queued jobs in full, running ones the rest of theirs.
            public var remainingEpochs: Int?
            /// Mean seconds per epoch of the sweep's running jobs so far (nil before their first epoch).
            public var secondsPerEpoch: Double?
            public init(name: String, paused: Bool, counts: [String: Int], remainingEpochs: Int? = nil, secondsPerEpoch: Double? = nil) {
                self.name = name; self.paused = paused; self.counts = counts
                self.remainingEpochs = remainingEpochs; self.secondsPerEpoch = secondsPerEpoch
            }

            /// Time left: the remaining epochs at the running jobs' pace, spread over the jobs
            /// running now (nil without a pace). An upper bound when early stopping cuts jobs short.
            public var secondsLeft: Double? {
                guard let r = remainingEpochs else { return nil }
                if r == 0 { return 0 }
                guard let pace = secondsPerEpoch else { return nil }
                return Double(r) * pace / Double(max(1, counts[JobState.leased.rawValue] ?? 0))
            }
        }
        public struct LiveJob: Codable, Sendable {
            public var id: Int64
            public var sweep: String
            public var worker: String?
            public var host: String?
            public var epoch: Int?
            public var epochs: Int
            public var loss: Double?
            public var accuracy: Double?
            /// Seconds since the last heartbeat.
            public var heartbeatAge: Double?
            public var cancelRequested: Bool
            public init(id: Int64, sweep: String, worker: String?, host: String?, epoch: Int?, epochs: Int, loss: Double?,
                        accuracy: Double?, heartbeatAge: Double?, cancelRequested: Bool) {
                self.id = id; self.sweep = sweep; self.worker = worker; self.host = host; self.epoch = epoch; self.epochs = epochs
                self.loss = loss; self.accuracy = accuracy; self.heartbeatAge = heartbeatAge; self.cancelRequested = cancelRequested
            }
        }
        public var sweeps: [SweepCounts]
        public var live: [LiveJob]
        public init(sweeps: [SweepCounts], live: [LiveJob]) { self.sweeps = sweeps; self.live = live }
    }

    /// One claim of a job and how it ended.
    public struct Attempt: Codable, Sendable, Equatable {
        public var attempt: Int
        public var worker: String
        public var host: String
        public var startedAt: Double
        public var endedAt: Double?
        public var outcome: AttemptOutcome
        public var error: String?
        /// Name of the bearer token that claimed it (`admin` and `worker` for the token files);
        /// nil for attempts stored before identities existed.
        public var identity: String?
        /// For the attempt whose result was accepted: the token that reported it.
        public var resultIdentity: String?
        /// When an administrator refused this attempt's accepted result, and that result.
        public var invalidatedAt: Double?
        public var invalidatedResult: JobResult?
        public init(attempt: Int, worker: String, host: String, startedAt: Double, endedAt: Double?, outcome: AttemptOutcome, error: String?,
                    identity: String? = nil, resultIdentity: String? = nil) {
            self.attempt = attempt; self.worker = worker; self.host = host; self.startedAt = startedAt
            self.endedAt = endedAt; self.outcome = outcome; self.error = error
            self.identity = identity; self.resultIdentity = resultIdentity
        }
    }

    /// `POST /api/invalidate` (admin): refuse succeeded jobs' results and run them again.
    public struct InvalidateRequest: Codable, Sendable {
        public var jobs: [Int64]
        public var reason: String
        public init(jobs: [Int64], reason: String) { self.jobs = jobs; self.reason = reason }
    }

    /// Plain acknowledgement.
    public struct Ack: Codable, Sendable {
        public var ok: Bool
        public init(ok: Bool = true) { self.ok = ok }
    }

    /// `GET /api/status`: jobs per state (every state present, zero included).
    public struct StatusResponse: Codable, Sendable, Equatable {
        public var counts: [String: Int]
        public init(counts: [String: Int]) { self.counts = counts }
    }

    /// `GET /api/leaderboard`.
    public struct LeaderboardResponse: Codable, Sendable {
        public var rows: [LeaderboardRow]
        public init(rows: [LeaderboardRow]) { self.rows = rows }
    }

    /// Error body of every non-2xx response.
}

/// One job on the leaderboard.
public struct LeaderboardRow: Codable, Sendable, Equatable {
    public var id: Int64
    public var sweep: String
    public var model: String
    public var quantizer: String
    public var dataset: String
    public var split: String
    public var seed: Int
    public var learningRate: Double
    public var testAccuracy: Double?
    public var validationAccuracy: Double?
    public var trainSeconds: Double?
    /// Training throughput of the finished run, images per second.
    public var imagesPerSecond: Double?
    public var state: JobState
    /// Last reported epoch while running, or the final epoch count.
    public var epoch: Int?
    public var epochs: Int
    /// Id of the job whose model this one started from (fine-tuning), if any.
    public var parent: Int64?
    /// For ternary jobs: whether the packed network was bit-exact (``JobResult/packedExact``).
    public var packedExact: Bool?
    /// For ternary jobs: packed inference at batch 64 on the worker's CPU, images per second.
    public var packedImagesPerSecond: Double?
    /// For ternary jobs: packed latency for one image, seconds.
    public var packedLatencyBatch1: Double?

    public init(id: Int64, sweep: String, model: String, quantizer: String, dataset: String, split: String, seed: Int,
                learningRate: Double, testAccuracy: Double?, validationAccuracy: Double?, trainSeconds: Double?,
                imagesPerSecond: Double? = nil, state: JobState, epoch: Int?, epochs: Int, parent: Int64? = nil) {
        self.imagesPerSecond = imagesPerSecond; self.parent = parent
        self.id = id; self.sweep = sweep; self.model = model; self.quantizer = quantizer; self.dataset = dataset
        self.split = split; self.seed = seed; self.learningRate = learningRate; self.testAccuracy = testAccuracy
        self.validationAccuracy = validationAccuracy; self.trainSeconds = trainSeconds; self.state = state
        self.epoch = epoch; self.epochs = epochs
    }
}
