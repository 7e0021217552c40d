/* er_norm.c - softmax family and per-channel normalizations. */
#include <math.h>

#include "er_kernels.h"

/* Softmax over [outer, axis_len, inner] along the middle axis, max-subtracted
   for stability; `log` gives LogSoftmax. */
static void softmax(const er_softmax_params *p, const float *x, float *y, int log_space)
{
    const int64_t len = p->axis_len, inner = p->inner;
    for (int32_t o = 0; o < p->outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            const float *xs = x + (int64_t)o * len * inner + i;
            float *ys = y + (int64_t)o * len * inner + i;
            float mx = -INFINITY;
            for (int64_t j = 0; j < len; j++)
                if (xs[j * inner] > mx) mx = xs[j * inner];
            double sum = 0.0;
            for (int64_t j = 0; j < len; j++) sum += exp((double)xs[j * inner] - mx);
            const double log_sum = log(sum);
            for (int64_t j = 0; j < len; j++) {
                const double z = (double)xs[j * inner] - mx;
                ys[j * inner] = (float)(log_space ? z - log_sum : exp(z) / sum);
            }
        }
}

void er_f32_softmax(const er_softmax_params *p, const float *x, float *y)
{
    softmax(p, x, y, 0);
}

void er_f32_logsoftmax(const er_softmax_params *p, const float *x, float *y)
{
    softmax(p, x, y, 1);
}

void er_f32_batchnorm(const er_norm_params *p, const float *x, const float *scale, const float *bias,
                      const float *mean, const float *var, float *y)
{
    for (int32_t c = 0; c < p->c; c++) {
        const float s = (float)((double)scale[c] / sqrt((double)var[c] + p->epsilon));
        const float t = bias[c] - mean[c] * s;
        for (int32_t n = 0; n < p->n; n++) {
            const int64_t off = ((int64_t)n * p->c + c) * p->inner;
            for (int32_t i = 0; i < p->inner; i++) y[off + i] = x[off + i] * s + t;
        }
    }
}

void er_f32_instancenorm(const er_norm_params *p, const float *x, const float *scale, const float *bias, float *y)
{
    for (int32_t n = 0; n < p->n; n++)
        for (int32_t c = 0; c < p->c; c++) {
            const int64_t off = ((int64_t)n * p->c + c) * p->inner;
            double mean = 0.0, var = 0.0;
            for (int32_t i = 0; i < p->inner; i++) mean += x[off + i];
            mean = p->inner ? mean / p->inner : 0.0;
            for (int32_t i = 0; i < p->inner; i++) var += (x[off + i] - mean) * (x[off + i] - mean);
            var = p->inner ? var / p->inner : 0.0;
            const double s = scale[c] / sqrt(var + p->epsilon);
            for (int32_t i = 0; i < p->inner; i++) y[off + i] = (float)((x[off + i] - mean) * s + bias[c]);
        }
}

/* Across-channel LRN: y = x / (bias + alpha/size * sum of squares over the window)^beta. */
void er_f32_lrn(const er_lrn_params *p, const float *x, float *y)
{
    const int32_t before = (p->size - 1) / 2, after = p->size - 1 - before;
    for (int32_t n = 0; n < p->n; n++)
        for (int32_t c = 0; c < p->c; c++) {
            const int32_t c0 = c - before < 0 ? 0 : c - before, c1 = c + after >= p->c ? p->c - 1 : c + after;
            const int64_t off = ((int64_t)n * p->c + c) * p->inner;
            for (int32_t i = 0; i < p->inner; i++) {
                double sum = 0.0;
                for (int32_t k = c0; k <= c1; k++) {
                    const double v = x[((int64_t)n * p->c + k) * p->inner + i];
                    sum += v * v;
                }
                y[off + i] = (float)(x[off + i] / pow(p->bias + p->alpha / p->size * sum, p->beta));
            }
        }
}

void er_f32_layernorm(const er_layernorm_params *p, const float *x, const float *scale, const float *bias, float *y,
                      float *mean, float *inv_std)
{
    for (int32_t r = 0; r < p->outer; r++) {
        const int64_t off = (int64_t)r * p->inner;
        double m = 0.0, var = 0.0;
        for (int32_t i = 0; i < p->inner; i++) m += x[off + i];
        m = p->inner ? m / p->inner : 0.0;
        for (int32_t i = 0; i < p->inner; i++) var += (x[off + i] - m) * (x[off + i] - m);
        var = p->inner ? var / p->inner : 0.0;
        const double inv = 1.0 / sqrt(var + p->epsilon);
        for (int32_t i = 0; i < p->inner; i++) {
            double v = (x[off + i] - m) * inv * scale[i % p->scale_n];
            if (bias) v += bias[i % p->bias_n];
            y[off + i] = (float)v;
        }
        if (mean) mean[r] = (float)m;
        if (inv_std) inv_std[r] = (float)inv;
    }
}
