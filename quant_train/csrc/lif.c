/*
 * LIF recurrence of SPEC section 3 over T steps fused with the spike OR-pool
 * of section 4, forward and BPTT backward, for CPUs.
 *
 *   u[t] = leak_k(u[t-1]) + a[t] + b[c] - theta[c] * o[t-1]
 *   o[t] = u[t] > theta[c]
 *   y[t] = OR (max) of o[t] over each K x K window with stride S
 *
 * Layout: channels innermost. The current is (T, N, H, L) float32 with
 * L = W * C, or (N, H, L) with `repeat` (the same current at every step: the
 * input layer's product); `bias`/`theta` are the per-channel values expanded
 * along a row (length L). The output is (T, N, OH, OW * C). A dense layer is
 * H = W = 1; a LIF without pooling is K = S = 1. Values are integers held in
 * float32 and are exact while every state stays below 2^24 (the caller checks
 * SPEC section 6's bound). k >= 16 means no leak. T <= 64.
 *
 * Work is split into tasks of G output rows and the R input rows they read
 * (G = 1 when K <= S; the whole image when windows overlap, K > S), so tasks
 * never share an input row. Rows that no window reads are neither computed
 * nor given a gradient (the caller zeroes them). The backward pass recomputes
 * the membrane from the current instead of storing it, routes each pooled
 * gradient to the first maximal input of its window (as max_pool2d does), and
 * sums the per-channel gradients of bias, threshold and leak per task into
 * `partial` (ntask, 3, C), float64, in a fixed order: the result does not
 * depend on the thread count (`threads` OpenMP threads).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NO_LEAK 16

typedef struct {
    long T, N, H, W, C, L, K, S, OH, OW, G, R, tasks_per_image;
} geom_t;

static geom_t geometry(int T, long N, long H, long W, long C, int K, int S)
{
    geom_t g;
    g.T = T; g.N = N; g.H = H; g.W = W; g.C = C; g.L = W * C; g.K = K; g.S = S;
    g.OH = (H - K) / S + 1;
    g.OW = (W - K) / S + 1;
    g.G = K <= S ? 1 : g.OH;
    g.R = (g.G - 1) * S + K;
    g.tasks_per_image = g.OH / g.G;
    return g;
}

long lif_pool_tasks(long N, long H, long W, long C, int K, int S)
{
    const geom_t g = geometry(1, N, H, W, C, K, S);
    return g.N * g.tasks_per_image;
}

/* one timestep of one row: leak, integrate, fire, reset by subtraction */
static inline void step_row(float *restrict u, float *restrict o, const float *restrict a,
                            const float *restrict b, const float *restrict th, long L, int k)
{
    if (k < NO_LEAK) {
        const float scale = ldexpf(1.0f, -k);
#pragma omp simd
        for (long i = 0; i < L; i++) {
            const float v = u[i] - floorf(u[i] * scale) + a[i] + b[i] - th[i] * o[i];
            u[i] = v;
            o[i] = v > th[i] ? 1.0f : 0.0f;
        }
    } else {
#pragma omp simd
        for (long i = 0; i < L; i++) {
            const float v = u[i] + a[i] + b[i] - th[i] * o[i];
            u[i] = v;
            o[i] = v > th[i] ? 1.0f : 0.0f;
        }
    }
}

static inline const float *cur_row(const float *cur, int repeat, const geom_t *g, long t, long n, long h)
{
    return repeat ? cur + (n * g->H + h) * g->L : cur + ((t * g->N + n) * g->H + h) * g->L;
}

/* one output row of the OR-pool: y[ow, c] = max of o over window ow (rows L apart in o, columns C apart) */
static inline void pool_row(const float *restrict o, const geom_t *g, float *restrict y)
{
    const long C = g->C, SC = g->S * g->C;
    for (long j = 0; j < g->K * g->K; j++) {
        const float *restrict p = o + (j / g->K) * g->L + (j % g->K) * C;
        for (long ow = 0; ow < g->OW; ow++) {
            const float *restrict pw = p + ow * SC;
            float *restrict yw = y + ow * C;
            if (j == 0) {
                memcpy(yw, pw, C * sizeof(float));
                continue;
            }
#pragma omp simd
            for (long c = 0; c < C; c++)
                yw[c] = pw[c] > yw[c] ? pw[c] : yw[c];
        }
    }
}

/* add each gy[ow, c] of one output row to the first maximal input (row-major) of its window:
   m, sel (OW * C) hold the running maximum and its window index (exact small integers in float) */
static inline void route_row(const float *restrict o, const float *restrict gy, const geom_t *g,
                             float *restrict m, float *restrict sel, float *restrict go)
{
    const long C = g->C, SC = g->S * g->C, OWC = g->OW * g->C;
    memset(sel, 0, OWC * sizeof(float));
    for (long j = 0; j < g->K * g->K; j++) {
        const float *restrict p = o + (j / g->K) * g->L + (j % g->K) * C;
        const float fj = (float)j;
        for (long ow = 0; ow < g->OW; ow++) {
            const float *restrict pw = p + ow * SC;
            float *restrict mw = m + ow * C, *restrict sw = sel + ow * C;
            if (j == 0) {
                memcpy(mw, pw, C * sizeof(float));
                continue;
            }
#pragma omp simd
            for (long c = 0; c < C; c++) {
                const int more = pw[c] > mw[c];
                mw[c] = more ? pw[c] : mw[c];
                sw[c] = more ? fj : sw[c];
            }
        }
    }
    for (long j = 0; j < g->K * g->K; j++) {
        float *restrict q = go + (j / g->K) * g->L + (j % g->K) * C;
        const float fj = (float)j;
        for (long ow = 0; ow < g->OW; ow++) {
            float *restrict qw = q + ow * SC;
            const float *restrict gw = gy + ow * C, *restrict sw = sel + ow * C;
#pragma omp simd
            for (long c = 0; c < C; c++)
                qw[c] += sw[c] == fj ? gw[c] : 0.0f;
        }
    }
}

void lif_pool_forward(const float *cur, int repeat, const float *bias, const float *theta,
                      int T, long N, long H, long W, long C, int K, int S, int k, int threads, float *out)
{
    const geom_t g = geometry(T, N, H, W, C, K, S);
    const long ntask = g.N * g.tasks_per_image, RL = g.R * g.L, OWC = g.OW * g.C;
#pragma omp parallel num_threads(threads)
    {
        float *u = malloc(2 * RL * sizeof(float));
        float *o = u + RL;
#pragma omp for schedule(static)
        for (long task = 0; task < ntask; task++) {
            const long n = task / g.tasks_per_image, oh0 = (task % g.tasks_per_image) * g.G, h0 = oh0 * g.S;
            memset(u, 0, 2 * RL * sizeof(float));
            for (long t = 0; t < T; t++) {
                for (long r = 0; r < g.R; r++)
                    step_row(u + r * g.L, o + r * g.L, cur_row(cur, repeat, &g, t, n, h0 + r), bias, theta, g.L, k);
                for (long gi = 0; gi < g.G; gi++) {
                    float *y = out + ((t * g.N + n) * g.OH + oh0 + gi) * OWC;
                    if (K == 1 && S == 1) {
                        memcpy(y, o + gi * g.L, g.L * sizeof(float));
                        continue;
                    }
                    pool_row(o + gi * g.S * g.L, &g, y);
                }
            }
        }
        free(u);
    }
}

/* one step of the backward pass over one row (see lif_pool_backward) */
static inline void bptt_row(const float *restrict ut, const float *restrict up, const float *restrict op,
                            const float *restrict gt, const float *restrict th, const float *restrict inv,
                            float lam, float alpha, float *restrict dn, float *restrict dsum,
                            float *restrict lth, float *restrict lk, long L)
{
#pragma omp simd
    for (long i = 0; i < L; i++) {
        const float z = ut[i] * inv[i] - 1.0f;
        const float tri = 1.0f - fabsf(z);
        const float sg = alpha * (tri > 0.0f ? tri : 0.0f) * inv[i];
        const float gs = (gt[i] - th[i] * dn[i]) * sg;
        const float d = gs + lam * dn[i];
        dsum[i] += d;
        lth[i] -= gs * ut[i] * inv[i] + op[i] * d;
        lk[i] += d * up[i];
        dn[i] = d;
    }
}

/*
 * Backward. d_t: gradient reaching u[t]; g_t: gradient reaching o[t].
 *   g_t = dL/do[t] - theta * d_{t+1}
 *   d_t = g_t * sg(u[t]) + lam * d_{t+1},  sg(u) = alpha * max(0, 1 - |u/theta - 1|) / theta
 *   dL/da[t] = d_t; dL/db = sum d_t; dL/dtheta = -sum(g_t sg(u[t]) u[t] / theta + o[t-1] d_t);
 *   dL/dk (before the factor ln2 * 2^-k) = sum d_t * u[t-1]
 */
void lif_pool_backward(const float *gy, const float *cur, int repeat, const float *bias, const float *theta,
                       int T, long N, long H, long W, long C, int K, int S, int k, float lam, float alpha, int threads,
                       float *grad_cur, double *partial)
{
    const geom_t g = geometry(T, N, H, W, C, K, S);
    const long ntask = g.N * g.tasks_per_image, RL = g.R * g.L, OWC = g.OW * g.C;
#pragma omp parallel num_threads(threads)
    {
        /* us, os: states of steps 0..T (index 0 is the zero state); gr: gradient reaching o[t] */
        float *us = malloc(((2 * (T + 1) + T) * RL + 7 * g.L) * sizeof(float));
        float *os = us + (T + 1) * RL, *gr = os + (T + 1) * RL;
        float *dn = gr + T * RL, *dsum = dn + g.L, *lth = dsum + g.L, *lk = lth + g.L, *inv = lk + g.L, *wmax = inv + g.L, *wsel = wmax + g.L;
        for (long i = 0; i < g.L; i++)
            inv[i] = 1.0f / theta[i];
#pragma omp for schedule(static)
        for (long task = 0; task < ntask; task++) {
            const long n = task / g.tasks_per_image, oh0 = (task % g.tasks_per_image) * g.G, h0 = oh0 * g.S;
            double *pb = partial + task * 3 * g.C, *pth = pb + g.C, *pk = pth + g.C;
            memset(us, 0, RL * sizeof(float));
            memset(os, 0, RL * sizeof(float));
            for (long t = 0; t < T; t++) {
                float *u = us + (t + 1) * RL, *o = os + (t + 1) * RL;
                memcpy(u, us + t * RL, RL * sizeof(float));
                memcpy(o, os + t * RL, RL * sizeof(float));
                for (long r = 0; r < g.R; r++)
                    step_row(u + r * g.L, o + r * g.L, cur_row(cur, repeat, &g, t, n, h0 + r), bias, theta, g.L, k);
            }
            /* route the pooled gradient to the first maximal input of each window */
            memset(gr, 0, T * RL * sizeof(float));
            for (long t = 0; t < T; t++) {
                const float *o = os + (t + 1) * RL;
                float *gt = gr + t * RL;
                for (long gi = 0; gi < g.G; gi++) {
                    const float *gyr = gy + ((t * g.N + n) * g.OH + oh0 + gi) * OWC;
                    if (K == 1 && S == 1) {
                        memcpy(gt + gi * g.L, gyr, g.L * sizeof(float));
                        continue;
                    }
                    route_row(o + gi * g.S * g.L, gyr, &g, wmax, wsel, gt + gi * g.S * g.L);
                }
            }
            for (long c = 0; c < g.C; c++)
                pb[c] = pth[c] = pk[c] = 0.0;
            for (long r = 0; r < g.R; r++) {
                const long ro = r * g.L;
                memset(dn, 0, 4 * g.L * sizeof(float)); /* dn, dsum, lth, lk */
                for (long t = T - 1; t >= 0; t--) {
                    const float *ut = us + (t + 1) * RL + ro, *up = us + t * RL + ro, *op = os + t * RL + ro;
                    const float *gt = gr + t * RL + ro;
                    float *gc = repeat ? NULL : grad_cur + ((t * g.N + n) * g.H + h0 + r) * g.L;
                    bptt_row(ut, up, op, gt, theta, inv, lam, alpha, dn, dsum, lth, lk, g.L);
                    if (gc != NULL)
                        memcpy(gc, dn, g.L * sizeof(float));
                }
                if (repeat)
                    memcpy(grad_cur + (n * g.H + h0 + r) * g.L, dsum, g.L * sizeof(float));
                for (long i = 0; i < g.L; i++) {
                    const long c = i % g.C;
                    pb[c] += dsum[i];
                    pth[c] += lth[i];
                    pk[c] += lk[i];
                }
            }
        }
        free(us);
    }
}
