/// Which training images a run learns from and which it validates on.
///
/// The test set is always the dataset's official test set; validation is a holdout cut from the
/// official training set.
public struct DataSplit: Sendable, Equatable {
    /// Indices into the training set used for training.
    public let trainIndices: [Int]
    /// Indices into the training set held out for validation.
    public let validationIndices: [Int]

    /// A holdout split: a fraction of the training set, chosen by `seed`, is held out.
    ///
    /// - Parameters:
    ///   - count: size of the official training set.
    ///   - validationFraction: in `[0, 1)`.
    ///   - seed: fixes which images are held out.
    ///   - trainLimit: keep at most this many training images (the first of the shuffled order).
    public static func holdout(count: Int, validationFraction: Double, seed: UInt64, trainLimit: Int? = nil) -> DataSplit {
        precondition(validationFraction >= 0 && validationFraction < 1)
        var rng = RandomSource.stream(seed: seed, 7)
        let order = rng.permutation(count)
        let nVal = Int((Double(count) * validationFraction).rounded())
        var train = Array(order[nVal...])
        if let trainLimit, trainLimit < train.count { train = Array(train[..<trainLimit]) }
        return DataSplit(trainIndices: train.sorted(), validationIndices: Array(order[..<nVal]).sorted())
    }

    /// Fold `fold` of a `k`-fold split: the training set, shuffled by `seed`, is cut into `k`
    /// nearly equal folds; fold `fold` validates and the others train.
    ///
    /// - Parameter trainLimit: keep at most this many training images.
    public static func kFold(count: Int, folds k: Int, fold: Int, seed: UInt64, trainLimit: Int? = nil) -> DataSplit {
        precondition(k >= 2 && (0..<k).contains(fold) && count >= k)
        var rng = RandomSource.stream(seed: seed, 7)
        let order = rng.permutation(count)
        let lo = count * fold / k, hi = count * (fold + 1) / k
        var train = Array(order[..<lo]) + Array(order[hi...])
        if let trainLimit, trainLimit < train.count { train = Array(train[..<trainLimit]) }
        return DataSplit(trainIndices: train.sorted(), validationIndices: Array(order[lo..<hi]).sorted())
    }
}
