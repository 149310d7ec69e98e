/// A differentiable stage of a network over row-major batches (`N x features`).
///
/// `forward` caches what `backward` needs; `backward` takes the gradient of the loss with respect
/// to the layer's output, accumulates parameter gradients and returns the gradient with respect
/// to its input. Calls alternate forward/backward on one thread.
public protocol Layer: AnyObject {
    /// Output for `input`; `training` selects batch statistics and enables caching for backward.
    func forward(_ input: Matrix, training: Bool) -> Matrix
    /// Gradient with respect to the last training-mode input.
    func backward(_ gradOutput: Matrix) -> Matrix
    /// Learnable parameters, in a stable order.
    var parameters: [Parameter] { get }
    /// Non-learnable saved state, in a stable order.
    var buffers: [Buffer] { get }
}

extension Layer {
    public var parameters: [Parameter] { [] }
    public var buffers: [Buffer] { [] }
}
