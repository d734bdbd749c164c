/*
 * LIF recurrence of SPEC section 3 over T steps, forward and BPTT backward,
 * one pass per neuron with the membrane in a register (the PyTorch version
 * in neurons.py needs ~10 passes over memory per step). The backward pass
 * recomputes the membrane from the current instead of storing it.
 *
 *   u[t] = leak_k(u[t-1]) + a[t] + b[c] - theta[c] * o[t-1]
 *   o[t] = u[t] > theta[c]
 *
 * Layout: tensors (T, N, C, S) contiguous float32 holding integers (exact:
 * every value is far below 2^24); with `repeat` the current is (N, C, S) and
 * is the same at every step. k >= 16 means no leak. T <= 64.
 */
#include <math.h>

#define MAX_T 64
#define LANES 16

void lif_forward(const float *cur, int repeat, const float *bias, const float *theta,
                 int T, long N, long C, long S, int k, float *spikes)
{
    const long ncs = N * C * S;
    const float scale = ldexpf(1.0f, -k);
#pragma omp parallel for schedule(static)
    for (long nc = 0; nc < N * C; nc++) {
        const float b = bias[nc % C], th = theta[nc % C];
        for (long s0 = 0; s0 < S; s0 += LANES) {
            const long n_l = S - s0 < LANES ? S - s0 : LANES;
            const long i0 = nc * S + s0;
            float u[LANES] = {0}, o[LANES] = {0};
            for (int t = 0; t < T; t++) {
                const float *ct = repeat ? cur + i0 : cur + (long)t * ncs + i0;
                float *st = spikes + (long)t * ncs + i0;
#pragma omp simd
                for (long l = 0; l < n_l; l++) {
                    float v = k < 16 ? u[l] - floorf(u[l] * scale) : u[l];
                    v = v + ct[l] + b - th * o[l];
                    u[l] = v;
                    o[l] = v > th ? 1.0f : 0.0f;
                    st[l] = o[l];
                }
            }
        }
    }
}

/*
 * Backward. d_t: gradient reaching u[t]; g_t: gradient reaching o[t].
 *   g_t = dL/do[t] - theta * d_{t+1}
 *   d_t = g_t * sg(u[t]) + lam * d_{t+1},  sg(u) = alpha * max(0, 1 - |u/theta - 1|) / theta
 * Per (n, c) sums of dL/db, dL/dtheta and d_t * u[t-1] (for dL/dk) go to *_nc.
 */
void lif_backward(const float *grad_out, const float *cur, const float *bias, const float *theta,
                  int T, long N, long C, long S, int k, float lam, float alpha, int repeat,
                  float *grad_cur, double *gb_nc, double *gth_nc, double *gk_nc)
{
    const long ncs = N * C * S;
    const float scale = ldexpf(1.0f, -k);
#pragma omp parallel for schedule(static)
    for (long nc = 0; nc < N * C; nc++) {
        const float b = bias[nc % C], th = theta[nc % C], inv = 1.0f / th;
        double sb = 0.0, sth = 0.0, sk = 0.0;
        for (long s0 = 0; s0 < S; s0 += LANES) {
            const long n_l = S - s0 < LANES ? S - s0 : LANES;
            const long i0 = nc * S + s0;
            /* recompute u[t] and o[t], stored at index t + 1 (index 0 is the zero state) */
            float us[MAX_T + 1][LANES], os[MAX_T + 1][LANES];
            for (long l = 0; l < LANES; l++)
                us[0][l] = os[0][l] = 0.0f;
            for (int t = 0; t < T; t++) {
                const float *ct = repeat ? cur + i0 : cur + (long)t * ncs + i0;
#pragma omp simd
                for (long l = 0; l < n_l; l++) {
                    const float up = us[t][l];
                    float v = k < 16 ? up - floorf(up * scale) : up;
                    v = v + ct[l] + b - th * os[t][l];
                    us[t + 1][l] = v;
                    os[t + 1][l] = v > th ? 1.0f : 0.0f;
                }
            }
            float dn[LANES] = {0}, dsum[LANES] = {0}, lb[LANES] = {0}, lth[LANES] = {0}, lk[LANES] = {0};
            for (int t = T - 1; t >= 0; t--) {
                const long j0 = (long)t * ncs + i0;
                const float *gt = grad_out + j0;
                float *gc = grad_cur + j0;
#pragma omp simd
                for (long l = 0; l < n_l; l++) {
                    const float ut = us[t + 1][l];
                    const float z = ut * inv - 1.0f;
                    const float sg = alpha * fmaxf(0.0f, 1.0f - fabsf(z)) * inv;
                    const float gs = (gt[l] - th * dn[l]) * sg;
                    const float d = gs + lam * dn[l];
                    if (!repeat)
                        gc[l] = d;
                    dsum[l] += d;
                    lth[l] -= gs * ut * inv + os[t][l] * d;
                    lk[l] += d * us[t][l];
                    dn[l] = d;
                }
            }
            for (long l = 0; l < n_l; l++) {
                if (repeat)
                    grad_cur[i0 + l] = dsum[l];
                sb += dsum[l];
                sth += lth[l];
                sk += lk[l];
            }
        }
        gb_nc[nc] = sb;
        gth_nc[nc] = sth;
        gk_nc[nc] = sk;
    }
}

/*
 * Spike max-pooling (OR) with a square window equal to its stride, on
 * (B, C, H, W): forward takes the max; backward routes each output's
 * gradient to the first maximal input of its window (as max_pool2d does).
 */
void or_pool_forward(const float *x, long BC, long H, long W, int K, float *y)
{
    const long OH = H / K, OW = W / K;
#pragma omp parallel for schedule(static)
    for (long p = 0; p < BC; p++) {
        const float *xp = x + p * H * W;
        float *yp = y + p * OH * OW;
        for (long oh = 0; oh < OH; oh++)
            for (long ow = 0; ow < OW; ow++) {
                float m = xp[(oh * K) * W + ow * K];
                for (int a = 0; a < K; a++)
                    for (int b = 0; b < K; b++) {
                        const float v = xp[(oh * K + a) * W + ow * K + b];
                        m = v > m ? v : m;
                    }
                yp[oh * OW + ow] = m;
            }
    }
}

void or_pool_backward(const float *x, const float *gy, long BC, long H, long W, int K, float *gx)
{
    const long OH = H / K, OW = W / K;
#pragma omp parallel for schedule(static)
    for (long p = 0; p < BC; p++) {
        const float *xp = x + p * H * W;
        const float *gp = gy + p * OH * OW;
        float *gxp = gx + p * H * W;
        for (long q = 0; q < H * W; q++)
            gxp[q] = 0.0f;
        for (long oh = 0; oh < OH; oh++)
            for (long ow = 0; ow < OW; ow++) {
                long best = (oh * K) * W + ow * K;
                for (int a = 0; a < K; a++)
                    for (int b = 0; b < K; b++) {
                        const long q = (oh * K + a) * W + ow * K + b;
                        if (xp[q] > xp[best])
                            best = q;
                    }
                gxp[best] += gp[oh * OW + ow];
            }
    }
}
