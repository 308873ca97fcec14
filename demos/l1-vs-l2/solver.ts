/**
 * The engine solving the 2-D problems itself: w is a 2-element parameter in a ParamArena, the
 * objective J(w) = ½‖(w − w*)ᵀM‖² (MMᵀ = H) is recorded on the tape and back-propagated, so the
 * gradient H(w − w*) is computed on the GPU, and the fused chain optimizer takes the step:
 *
 *   L2: chain(coupledL2(α), sgd)   w ← w − ε(H(w − w*) + αw)        fixed point: eq. 7.13
 *   L1: chain(sgd, proximalL1(α))  w ← prox_εα(w − εH(w − w*))      fixed point: eq. 7.23
 *
 * Both iterations contract by ρ = maxᵢ|1 − ε·μᵢ| per step (μᵢ the eigenvalues of H + αI, or the
 * Hᵢᵢ; the prox is non-expansive), here ρ ≤ 0.85, so 200 steps leave ρ²⁰⁰·‖w⁽⁰⁾ − w̃‖ < 1e-13 and
 * what remains is the f32 rounding of the GPU (around 1e-7).
 */
import {
  ag,
  chain,
  coupledL2,
  ParamArena,
  proximalL1,
  sgd,
  type ChainOptimizer,
  type PenaltyTransform,
  type Runtime,
  type Tensor,
} from 'webgpu-regularization';
import { halfFactor, type Quadratic, type Vec2 } from './quadratic';

/** Steps of one solve. */
export const SOLVE_STEPS = 200;
/** Learning rate ε: 0.3·(λmax + αmax) = 0.3·4.5 < 2 keeps every step contracting. */
export const SOLVE_LR = 0.3;
/** Where every solve starts (away from both answers). */
export const SOLVE_START: Vec2 = [-0.4, -0.3];

/** One solve: the iterates read back along the way (the path) and the last one. */
export interface Solve {
  alpha: number;
  /** w⁽⁰⁾, then the iterates at {@link PATH_STEPS}. */
  path: Vec2[];
  final: Vec2;
}

/** Steps whose iterate is read back for the path: every step at first, where it moves most, then every 10th. */
const PATH_STEPS = new Set<number>([...Array.from({ length: 20 }, (_, i) => i + 1), ...Array.from({ length: SOLVE_STEPS / 10 }, (_, i) => 10 * (i + 1))]);

/** A 2-D problem bound to the GPU, solved again for each α. */
export class QuadraticSolver {
  private constructor(
    private readonly arena: ParamArena,
    private readonly optimizer: ChainOptimizer,
    private readonly penalty: PenaltyTransform,
    private readonly wStar: Tensor<'f32'>,
    private readonly m: Tensor<'f32'>,
  ) {}

  /** Uploads the problem; `kind` picks the penalty of the chain. */
  static create(rt: Runtime, problem: Quadratic, kind: 'l2' | 'l1'): QuadraticSolver {
    const arena = ParamArena.create(rt, [{ name: 'w', shape: [1, 2], role: 'weight', layer: 'quadratic' }]);
    const penalty = kind === 'l2' ? coupledL2({ alpha: 0 }) : proximalL1({ alpha: 0 });
    // A penalty on the gradient comes before the direction, a step on the weights after it.
    const optimizer = (kind === 'l2' ? chain(penalty, sgd({ lr: SOLVE_LR })) : chain(sgd({ lr: SOLVE_LR }), penalty)).init(arena);
    const wStar = rt.tensor(Float32Array.from(problem.wStar), [1, 2]);
    const m = rt.tensor(Float32Array.from(halfFactor(problem).flat()), [2, 2]);
    return new QuadraticSolver(arena, optimizer, penalty, wStar, m);
  }

  /** Runs {@link SOLVE_STEPS} steps from {@link SOLVE_START} with penalty α. */
  async solve(alpha: number): Promise<Solve> {
    this.penalty.alpha = alpha;
    this.arena.setValues('w', SOLVE_START);
    const pw = this.arena.param('w');
    const w = ag.param(pw.value, pw.grad, 'w');
    const reads: Promise<Float32Array>[] = [];
    for (let t = 1; t <= SOLVE_STEPS; t++) {
      this.arena.zeroGrads();
      const loss = ag.scale(ag.sum(ag.square(ag.matmul(ag.sub(w, this.wStar), this.m))), 0.5);
      ag.backward(loss);
      loss.dispose();
      this.optimizer.step();
      // Not awaited here: each read copies the values at this point of the queue, so the solve is
      // not stalled by a round trip per step; they all resolve together at the end.
      if (PATH_STEPS.has(t)) reads.push(pw.value.toArray());
    }
    const iterates = (await Promise.all(reads)).map((v): Vec2 => [v[0], v[1]]);
    return { alpha, path: [SOLVE_START, ...iterates], final: iterates[iterates.length - 1] };
  }

  /** Frees the GPU buffers. */
  dispose(): void {
    this.optimizer.dispose();
    this.arena.dispose();
    this.wStar.dispose();
    this.m.dispose();
  }
}
