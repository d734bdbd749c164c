/*
 * LIF recurrence of SPEC section 3 over T steps, forward and BPTT backward,
 * one pass per neuron with the membrane in a register (the PyTorch version
 * in neurons.py needs ~10 passes over memory per step).
 *
 *   u[t] = leak_k(u[t-1]) + a[t] + b[c] - theta[c] * o[t-1]
 *   o[t] = u[t] > theta[c]
 *
 * Layout: tensors (T, N, C, S) contiguous float32 holding integers (exact:
 * every value is far below 2^24); with `repeat` the current is (N, C, S) and
 * is the same at every step. k >= 16 means no leak.
 */
#include <math.h>

void lif_forward(const float *cur, int repeat, const float *bias, const float *theta,
                 int T, long N, long C, long S, int k, float *us, float *spikes)
{
    const long ncs = N * C * S;
    const float scale = ldexpf(1.0f, -k);
#pragma omp parallel for schedule(static)
    for (long i = 0; i < ncs; i++) {
        const long c = (i / S) % C;
        const float b = bias[c], th = theta[c];
        float u = 0.0f, o = 0.0f;
        for (int t = 0; t < T; t++) {
            const long j = (long)t * ncs + i;
            if (k < 16)
                u = u - floorf(u * scale);
            u = u + (repeat ? cur[i] : cur[j]) + b - th * o;
            o = u > th ? 1.0f : 0.0f;
            us[j] = u;
            spikes[j] = o;
        }
    }
}

/*
 * Backward. d_t: gradient reaching u[t]; g_t: gradient reaching o[t].
 *   g_t = dL/do[t] - theta * d_{t+1}
 *   d_t = g_t * sg(u[t]) + lam * d_{t+1},  sg(u) = alpha * max(0, 1 - |u/theta - 1|) / theta
 * Per (n, c) sums of dL/db, dL/dtheta and d_t * u[t-1] (for dL/dk) go to *_nc.
 */
void lif_backward(const float *grad_out, const float *us, const float *spikes, const float *theta,
                  int T, long N, long C, long S, float lam, float alpha, int repeat,
                  float *grad_cur, double *gb_nc, double *gth_nc, double *gk_nc)
{
    const long ncs = N * C * S;
#pragma omp parallel for schedule(static)
    for (long nc = 0; nc < N * C; nc++) {
        const float th = theta[nc % C], inv = 1.0f / th;
        double sb = 0.0, sth = 0.0, sk = 0.0;
        for (long s = 0; s < S; s++) {
            const long i = nc * S + s;
            float dnext = 0.0f, dsum = 0.0f;
            for (int t = T - 1; t >= 0; t--) {
                const long j = (long)t * ncs + i;
                const float u = us[j];
                const float z = u * inv - 1.0f;
                const float sg = alpha * fmaxf(0.0f, 1.0f - fabsf(z)) * inv;
                const float gs = (grad_out[j] - th * dnext) * sg;
                const float d = gs + lam * dnext;
                if (repeat)
                    dsum += d;
                else
                    grad_cur[j] = d;
                sb += d;
                sth -= gs * u * inv;
                if (t > 0) {
                    sth -= spikes[j - ncs] * d;
                    sk += d * us[j - ncs];
                }
                dnext = d;
            }
            if (repeat)
                grad_cur[i] = dsum;
        }
        gb_nc[nc] = sb;
        gth_nc[nc] = sth;
        gk_nc[nc] = sk;
    }
}
