@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import FATNNPostgresStore
import Testing

/// The lifecycle is one rulebook (``JobLifecycle``) that every store must implement. This suite
/// drives each store backend (SQLite; PostgreSQL when `FATNN_TEST_POSTGRES` names a server)
/// through ``JobLifecycleStore`` and a model built only from the value type's rules with the same
/// random events (claims, heartbeats, results, errors, releases, stale tokens, time passing and
/// reaping, cancels, retries, invalidations, pauses) and compares, after every step, each job's
/// lifecycle row and its attempt rows. The store's own SQL (the claim pick, the reaper's
/// selection, the retry list, failing the dependents of an unsuccessful job) must agree with the
/// value rules they restate.
@Suite struct LifecycleParityTests {
    /// The value side: jobs as ``JobLifecycle`` values, plus what the claim rule reads besides
    /// a job's own state (its parent, stored models, priorities, paused sweeps).
    struct Model {
        var jobs: [Int64: JobLifecycle] = [:]
        var parent: [Int64: Int64] = [:]
        var sweep: [Int64: String] = [:]
        var priority: [Int64: Int] = [:]
        var paused: Set<String> = []
        var models: Set<Int64> = []
        /// The pruning rule of each job that has one, and the train loss each job reported at epoch 1.
        var rules: [Int64: PruningRule] = [:]
        var lossAtEpoch1: [Int64: Double] = [:]
        /// Per job, its attempts' outcome and error.
        var attempts: [Int64: [Attempt]] = [:]
        let timing: LifecycleTiming

        typealias Attempt = StoredLifecycle.Attempt

        /// The job the claim rule picks at `now`: claimable, in an unpaused sweep, with no parent
        /// or a parent that succeeded and stored its model; highest priority, then lowest id.
        func pick(at now: Double) -> Int64? {
            jobs.keys.filter { id in
                guard jobs[id]!.isClaimable(at: now), !paused.contains(sweep[id]!) else { return false }
                guard let p = parent[id] else { return true }
                return jobs[p]!.state == .succeeded && models.contains(p)
            }.min { (-priority[$0]!, $0) < (-priority[$1]!, $1) }
        }

        /// Applies `event`, carries out its effects as the rulebook says, and returns it.
        @discardableResult
        mutating func apply(_ event: LifecycleEvent, _ id: Int64, at now: Double) throws(LifecycleError) -> Transition {
            let tr = try jobs[id]!.applying(event, at: now, timing: timing)
            if tr.repeated { return tr }
            jobs[id] = tr.after
            for effect in tr.effects {
                switch effect {
                case .openAttempt: attempts[id, default: []].append(Attempt(outcome: "running", error: nil))
                case .closeAttempt(let n, let outcome, let error): attempts[id]![n - 1] = Attempt(outcome: outcome.rawValue, error: error)
                case .failDependents:
                    for child in parent.filter({ $0.value == id }).map(\.key).sorted() where jobs[child]!.state == .queued {
                        try apply(.parentEnded(id, tr.after.state), child, at: now)
                    }
                case .checkParent:
                    if let p = parent[id], JobLifecycle.unsuccessfulEnds.contains(jobs[p]!.state) {
                        try apply(.parentEnded(p, jobs[p]!.state), id, at: now)
                    }
                }
            }
            return tr
        }

        /// The reaper: every overdue job's event, in id order.
        mutating func reap(at now: Double) {
            for id in jobs.keys.sorted() { if let e = jobs[id]!.overdueEvent(at: now) { _ = try? apply(e, id, at: now) } }
        }
    }

    static let staged = """
        { "name": "staged", "base": { "model": "cnn-s", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 1, "learningRate": 0.1} },
          "seeds": [1, 2], "timeoutSeconds": 100, "retries": {"errors": 1, "lostWorkers": 1},
          "stages": [ {"name": "fp"}, {"name": "q", "from": "fp", "grid": {"quantizer.kind": ["fatnn", "tnn"]}} ] }
        """
    static let urgent = """
        { "name": "urgent", "priority": 5, "base": { "model": "mlp", "dataset": {"name": "mnist"}, "training": {"epochs": 1, "learningRate": 0.1} },
          "seeds": [1, 2], "retries": {"errors": 0, "lostWorkers": 0} }
        """
    /// Jobs under early stopping: median of the other jobs' train loss at epoch 1 of 2.
    static let early = """
        { "name": "early", "base": { "model": "mlp", "dataset": {"name": "mnist"}, "training": {"epochs": 2, "learningRate": 0.2} },
          "seeds": [1, 2, 3], "pruning": {"method": "median", "metric": "train_loss", "minJobs": 1} }
        """

    /// Six seeded walks of 400 steps on each backend; together they must reach every state and
    /// every attempt outcome, so that every rule is compared.
    @Test func theSQLiteStoreFollowsTheRulebook() async throws {
        try await walks { clock, body in
            try await body(try JobStore(path: temporaryDatabase(), leaseSeconds: 60, backoffSeconds: 7, clock: { clock.now }).queue)
        }
    }

    @Test(.enabled(if: PostgresFixtures.url != nil, PostgresFixtures.skipReason))
    func thePostgreSQLStoreFollowsTheRulebook() async throws {
        try await walks { clock, body in
            try await PostgresFixtures.withStore(leaseSeconds: 60, backoffSeconds: 7, clock: clock) { try await body($0) }
        }
    }

    /// What a walk reached: its attempt outcomes and job states.
    typealias Reached = (outcomes: Set<String>, states: Set<JobState>)

    /// A store of one backend (a fresh database or schema) for the length of a walk.
    typealias StoreMaker = @Sendable (TestClock, @Sendable (any JobLifecycleStore) async throws -> Reached) async throws -> Reached

    /// The six walks run at once, each on its own store and clock: a PostgreSQL walk waits on the
    /// server more than it computes (one after another they took 69 s of the suite's run).
    func walks(_ make: @escaping StoreMaker) async throws {
        var outcomes = Set<String>(), states = Set<JobState>()
        try await withThrowingTaskGroup(of: Reached.self) { group in
            for seed in 1...6 as ClosedRange<UInt64> {
                group.addTask {
                    let clock = TestClock()
                    return try await make(clock) { store in try await walk(store, clock: clock, seed: seed, steps: 400) }
                }
            }
            for try await reached in group {
                outcomes.formUnion(reached.outcomes)
                states.formUnion(reached.states)
            }
        }
        #expect(outcomes == Set(AttemptOutcome.allCases.map(\.rawValue)), "outcomes seen: \(outcomes)")
        #expect(states == Set(JobState.allCases), "states seen: \(states)")
    }

    /// One walk; returns the attempt outcomes and job states it reached.
    func walk(_ store: any JobLifecycleStore, clock: TestClock, seed: UInt64, steps: Int) async throws -> Reached {
        var model = Model(timing: LifecycleTiming(leaseSeconds: 60, backoffSeconds: 7, maxBackoffSeconds: 448))
        // The model starts from the submitted jobs, numbered 1, 2, … in submission order: queued,
        // with their sweep's budgets and priority, and their parents.
        var hashes: [String: Int64] = [:]
        for text in [Self.staged, Self.urgent, Self.early] {
            let sweep = try Sweep.parse(Data(text.utf8))
            _ = try await store.submit(sweep, document: "{}", replicate: 0)
            for job in sweep.jobs {
                let id = Int64(model.jobs.count + 1)
                hashes[job.configHash] = id
                model.jobs[id] = JobLifecycle(maxErrorRetries: sweep.policy.errorRetries, maxLostRetries: sweep.policy.lostRetries,
                                              timeoutSeconds: sweep.policy.timeoutSeconds)
                model.sweep[id] = sweep.name
                model.priority[id] = sweep.policy.priority
                model.parent[id] = job.initFrom.flatMap { hashes[$0] }
                model.rules[id] = sweep.pruning[sweep.jobs.firstIndex(of: job)!]
            }
        }
        #expect(model.jobs.count == 11 && model.parent.count == 4)
        try await expectSameRows(store, model, step: -1, after: "submit")

        var rng = SplitMix64(seed: seed)  // deterministic, so a failing sequence can be replayed
        var log: [String] = [], states = Set<JobState>()
        let stale = String(repeating: "0", count: 64)
        for step in 0..<steps {
            let t = clock.now
            let leased = model.jobs.filter { $0.value.state == .leased }.keys.sorted()
            let someLeased = leased.isEmpty ? nil : leased[Int.random(in: 0..<leased.count, using: &rng)]
            let anyJob = Int64.random(in: 1...Int64(model.jobs.count), using: &rng)
            let roll = Int.random(in: 0..<100, using: &rng)
            var what = ""
            switch roll {
            case 0..<20:
                what = "claim"
                _ = try await store.reap()
                model.reap(at: t)
                let body = try await store.claimJSON(worker: "w", host: "h", identity: nil).body
                let claimed = try JSONDecoder().decode(API.ClaimResponse.self, from: body).job
                let expected = model.pick(at: t)
                #expect(claimed?.id == expected, "step \(step): the store claimed \(claimed.map { String($0.id) } ?? "nothing"), the rules pick \(expected.map { String($0) } ?? "nothing")")
                if let c = claimed, c.id == expected { try model.apply(.claim(token: c.claimToken), c.id, at: t) }
            case 20..<30:
                guard let id = someLeased, let token = model.jobs[id]?.claimToken else { continue }
                what = "heartbeat \(id)"
                _ = try await store.heartbeat(job: id, token: token, epoch: nil)
                try model.apply(.heartbeat(token: token), id, at: t)
            case 30..<40:
                guard let id = someLeased, let token = model.jobs[id]?.claimToken else { continue }
                what = "complete \(id)"
                if Bool.random(using: &rng) {
                    try await store.storeArtifact(job: id, token: token, data: Data("model \(id)".utf8), sha256: nil)
                    model.models.insert(id)
                }
                try await store.complete(job: id, token: token, result: sampleResult(0.9), identity: nil)
                try model.apply(.succeed(token: token), id, at: t)
                model.lossAtEpoch1[id] = sampleResult(0.9).epochs[0].trainLoss  // a result stores its epochs
                // The store keeps a model only with a result: one stored by an earlier attempt was dropped.
            case 40..<47:
                guard let id = someLeased, let token = model.jobs[id]?.claimToken else { continue }
                what = "fail \(id)"
                try await store.fail(job: id, token: token, error: "boom \(step)")
                try model.apply(.jobError(token: token, message: "boom \(step)"), id, at: t)
            case 47..<53:
                guard let id = someLeased, let token = model.jobs[id]?.claimToken else { continue }
                what = "release \(id)"
                try await store.release(job: id, token: token)
                try model.apply(.release(token: token), id, at: t)
            case 55..<57:
                // An epoch's report: jobs under early stopping whose train loss is above the
                // median of the others' at epoch 1 are pruned (losses grow with the step).
                guard let id = someLeased, let token = model.jobs[id]?.claimToken else { continue }
                what = "epoch report \(id)"
                let loss = Double(step % 50) / 10
                let report = EpochReport(epoch: 1, trainLoss: loss, trainAccuracy: 0.5, validationAccuracy: nil, learningRate: 0.1, seconds: 1)
                let reply = try await store.heartbeat(job: id, token: token, epoch: report)
                let others = model.lossAtEpoch1.filter { $0.key != id && model.rules[$0.key] != nil }.map(\.value)
                if let rule = model.rules[id], case .prune(let reason) = rule.decide(epoch: 1, of: 2, value: loss, others: others) {
                    try model.apply(.prune(token: token, reason: reason), id, at: t)
                    #expect(reply.prune == reason, "step \(step)")
                } else {
                    try model.apply(.heartbeat(token: token), id, at: t)
                    #expect(reply.prune == nil, "step \(step)")
                }
                model.lossAtEpoch1[id] = loss
            case 53..<55:
                what = "stale heartbeat \(anyJob)"
                await #expect(throws: StoreError.self) { _ = try await store.heartbeat(job: anyJob, token: stale, epoch: nil) }
                #expect(throws: LifecycleError.staleClaim) { try model.jobs[anyJob]!.applying(.heartbeat(token: stale), at: t, timing: model.timing) }
            case 57..<79:
                // Most running workers send a heartbeat first, so that some jobs live long
                // enough to run past their timeout while others lose their lease.
                for id in leased where Int.random(in: 0..<10, using: &rng) < 7 {
                    let token = model.jobs[id]!.claimToken!
                    _ = try await store.heartbeat(job: id, token: token, epoch: nil)
                    try model.apply(.heartbeat(token: token), id, at: t)
                }
                let dt = Double(Int.random(in: 1...60, using: &rng))
                what = "heartbeats, advance \(dt) s and reap"
                clock.advance(dt)
                _ = try await store.reap()
                model.reap(at: clock.now)
            case 79..<86:
                what = "cancel \(anyJob)"
                var storeRefused = false, rulesRefused = false
                do { _ = try await store.cancel(jobs: [anyJob], sweep: nil) } catch { storeRefused = true }
                do { try model.apply(.cancel, anyJob, at: t) } catch { rulesRefused = true }
                #expect(storeRefused == rulesRefused, "step \(step): store and rules disagree on cancelling job \(anyJob)")
            case 86..<91:
                what = "retry"
                let ids = try await store.retry(states: JobLifecycle.retryableStates, sweep: nil)
                let expected = model.jobs.keys.sorted().filter { JobLifecycle.retryableStates.contains(model.jobs[$0]!.state) }
                #expect(ids == expected, "step \(step)")
                for id in expected { try model.apply(.retry, id, at: t) }
            case 91..<94:
                guard let id = model.jobs.keys.sorted().first(where: { model.jobs[$0]!.state == .succeeded }) else { continue }
                what = "invalidate \(id)"
                try await store.invalidate(jobs: [id], reason: "checked \(step)")
                try model.apply(.invalidate, id, at: t)
                let last = model.jobs[id]!.attempts
                model.attempts[id]![last - 1].error = "result invalidated: checked \(step)"
                model.models.remove(id)
                model.lossAtEpoch1[id] = nil  // invalidating drops the job's epochs
            default:
                let name = Bool.random(using: &rng) ? "staged" : "urgent"
                let pause = !model.paused.contains(name)
                what = "\(pause ? "pause" : "resume") \(name)"
                try await store.setPaused(sweep: name, pause)
                if pause { model.paused.insert(name) } else { model.paused.remove(name) }
            }
            log.append(what)
            states.formUnion(model.jobs.values.map(\.state))
            try await expectSameRows(store, model, step: step, after: log.suffix(3).joined(separator: "; "))
        }
        var seen = Set<String>()
        for id in model.jobs.keys { seen.formUnion(try await store.lifecycle(of: id)?.attempts.map(\.outcome) ?? []) }
        return (seen, states)
    }

    func expectSameRows(_ store: any JobLifecycleStore, _ model: Model, step: Int, after: String) async throws {
        for id in model.jobs.keys.sorted() {
            let stored = try await store.lifecycle(of: id)
            #expect(stored?.lifecycle == model.jobs[id], "step \(step) (\(after)): job \(id) is \(String(describing: stored?.lifecycle)) in the store, \(String(describing: model.jobs[id])) by the rules")
            #expect(stored?.attempts == model.attempts[id, default: []], "step \(step) (\(after)): attempts of job \(id)")
        }
    }
}
