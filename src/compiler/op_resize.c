/* op_resize.c - Resize and Upsample as separable passes, one per resized axis.

   The tap tables (which inputs, which weights, per output coordinate) are
   computed here at compile time by er_resample_table, the same code the
   runtime uses for images, and emitted as constants; at run time each pass
   is one er_f32_resample_axis call. */
#include <math.h>
#include <string.h>

#include "ops.h"

static const int32_t float_only[] = {ER_DTYPE_FLOAT, 0};

typedef struct resize_plan {
    int32_t rank;
    int64_t out[ER_MAX_RANK];
    double scale[ER_MAX_RANK], roi_start[ER_MAX_RANK], roi_end[ER_MAX_RANK];
    er_resample_spec spec; /* the per-axis fields are filled per pass */
} resize_plan;

static int parse_mode(er_graph *g, er_node *n, resize_plan *rp)
{
    const char *mode, *coord, *nearest;
    int64_t antialias = 0, exclude = 0;
    float cubic_a = -0.75f;
    er_resample_spec *s = &rp->spec;
    int legacy = n->op == ER_OP_Upsample || n->opset < 11; /* Upsample and Resize-10: asymmetric, floor */
    if (er_attr_string(g, n, "mode", "nearest", &mode) ||
        er_attr_string(g, n, "coordinate_transformation_mode", legacy ? "asymmetric" : "half_pixel", &coord) ||
        er_attr_string(g, n, "nearest_mode", legacy ? "floor" : "round_prefer_floor", &nearest) ||
        er_attr_int(g, n, "antialias", 0, &antialias) || er_attr_int(g, n, "exclude_outside", 0, &exclude) ||
        er_attr_float(g, n, "cubic_coeff_a", -0.75f, &cubic_a))
        return -1;
    if (!strcmp(mode, "nearest")) s->filter = ER_FILTER_NEAREST;
    else if (!strcmp(mode, "linear") || !strcmp(mode, "bilinear")) s->filter = ER_FILTER_LINEAR;
    else if (!strcmp(mode, "cubic")) s->filter = ER_FILTER_CUBIC;
    else return er_node_fail(g, n, "mode '%s' is not supported", mode);
    static const char *const coords[] = {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
                                         "align_corners", "asymmetric", "tf_crop_and_resize"};
    s->coord = -1;
    for (int32_t i = 0; i < 6; i++)
        if (!strcmp(coord, coords[i])) s->coord = i;
    if (s->coord < 0) return er_node_fail(g, n, "coordinate_transformation_mode '%s' is not supported", coord);
    static const char *const nearests[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    s->nearest_mode = -1;
    for (int32_t i = 0; i < 4; i++)
        if (!strcmp(nearest, nearests[i])) s->nearest_mode = i;
    if (s->nearest_mode < 0) return er_node_fail(g, n, "nearest_mode '%s' is not supported", nearest);
    if (antialias && s->filter == ER_FILTER_NEAREST) return er_node_fail(g, n, "antialias needs linear or cubic mode");
    s->antialias = (int32_t)antialias;
    s->exclude_outside = (int32_t)exclude;
    s->cubic_a = cubic_a;
    return 0;
}

static int resize_plan_of(er_graph *g, er_node *n, resize_plan *rp)
{
    er_tensor *x = er_in(g, n, 0);
    double scales[ER_MAX_RANK], roi[2 * ER_MAX_RANK];
    int64_t sizes[ER_MAX_RANK], axes[ER_MAX_RANK];
    int32_t n_scales = -1, n_sizes = -1, n_roi = -1, n_axes = -1;
    const char *policy;
    memset(rp, 0, sizeof *rp);
    if (parse_mode(g, n, rp) || er_attr_string(g, n, "keep_aspect_ratio_policy", "stretch", &policy) ||
        er_attr_ints(g, n, "axes", axes, ER_MAX_RANK, &n_axes))
        return -1;
    if (n->op == ER_OP_Upsample && n->opset < 9) {
        float fs[ER_MAX_RANK];
        if (er_attr_floats(g, n, "scales", fs, ER_MAX_RANK, &n_scales)) return -1;
        for (int32_t i = 0; i < n_scales; i++) scales[i] = fs[i];
    } else if (n->op == ER_OP_Upsample || n->opset < 11) {
        if (er_input_floats(g, n, 1, "scales", scales, ER_MAX_RANK, &n_scales)) return -1;
    } else {
        if (er_input_floats(g, n, 1, "roi", roi, 2 * ER_MAX_RANK, &n_roi) ||
            er_input_floats(g, n, 2, "scales", scales, ER_MAX_RANK, &n_scales) ||
            er_input_ints(g, n, 3, "sizes", sizes, ER_MAX_RANK, &n_sizes))
            return -1;
        if (n_scales == 0) n_scales = -1; /* an empty scales tensor means "use sizes" */
    }
    if ((n_scales < 0) == (n_sizes < 0)) return er_node_fail(g, n, "exactly one of scales and sizes must be given");
    int32_t r = x->rank, count = n_axes < 0 ? r : n_axes;
    int32_t ax[ER_MAX_RANK];
    for (int32_t i = 0; i < count; i++)
        if (n_axes < 0) ax[i] = i;
        else if (er_axis(g, n, axes[i], r, "axis", &ax[i])) return -1;
    if ((n_scales >= 0 && n_scales != count) || (n_sizes >= 0 && n_sizes != count))
        return er_node_fail(g, n, "scales/sizes have %d values, expected %d", n_scales >= 0 ? n_scales : n_sizes, count);
    if (n_roi >= 0 && n_roi != 2 * count && rp->spec.coord == ER_COORD_TF_CROP_AND_RESIZE)
        return er_node_fail(g, n, "roi has %d values, expected %d", n_roi, 2 * count);
    rp->rank = r;
    for (int32_t i = 0; i < r; i++) {
        rp->out[i] = x->dims[i];
        rp->scale[i] = 1.0;
        rp->roi_start[i] = 0.0;
        rp->roi_end[i] = 1.0;
    }
    for (int32_t i = 0; i < count; i++) {
        int32_t a = ax[i];
        if (n_roi == 2 * count) {
            rp->roi_start[a] = roi[i];
            rp->roi_end[a] = roi[count + i];
        }
        if (n_scales >= 0) {
            if (!(scales[i] > 0) || !isfinite(scales[i]))
                return er_node_fail(g, n, "scale %g on axis %d must be positive", scales[i], a);
            rp->scale[a] = scales[i];
            double out = floor(scales[i] * (double)x->dims[a]);
            if (out > INT32_MAX) return er_node_fail(g, n, "output too large on axis %d", a);
            rp->out[a] = (int64_t)out;
        } else {
            if (sizes[i] < 0 || sizes[i] > INT32_MAX) return er_node_fail(g, n, "size %lld is invalid", (long long)sizes[i]);
            if (x->dims[a] == 0) return er_node_fail(g, n, "cannot resize an empty axis %d", a);
            rp->out[a] = sizes[i];
            rp->scale[a] = (double)sizes[i] / (double)x->dims[a];
        }
    }
    if (n_sizes >= 0 && strcmp(policy, "stretch")) {
        int larger = !strcmp(policy, "not_smaller");
        if (!larger && strcmp(policy, "not_larger"))
            return er_node_fail(g, n, "keep_aspect_ratio_policy '%s' is not supported", policy);
        double scale = rp->scale[ax[0]];
        for (int32_t i = 1; i < count; i++)
            scale = larger ? fmax(scale, rp->scale[ax[i]]) : fmin(scale, rp->scale[ax[i]]);
        for (int32_t i = 0; i < count; i++) {
            rp->scale[ax[i]] = scale;
            rp->out[ax[i]] = (int64_t)(scale * (double)x->dims[ax[i]] + 0.5); /* round half up */
        }
    }
    return 0;
}

int resize_infer(er_graph *g, er_node *n)
{
    resize_plan rp;
    int legacy = n->op == ER_OP_Upsample || n->opset < 11;
    if (er_check_arity(g, n, n->op == ER_OP_Upsample && n->opset < 9 ? 1 : legacy ? 2 : 1, legacy ? 2 : 4, 1, 1) ||
        er_check_dtype(g, n, 0, float_only) || resize_plan_of(g, n, &rp))
        return -1;
    er_tensor *x = er_in(g, n, 0);
    return er_set_output(g, n, 0, x->dtype, x->rank, rp.out);
}

int resize_lower(er_graph *g, er_node *n)
{
    resize_plan rp;
    if (resize_plan_of(g, n, &rp)) return -1;
    float fill = 0.0f;
    if (er_attr_float(g, n, "extrapolation_value", 0.0f, &fill)) return -1;
    er_tensor *x = er_in(g, n, 0), *y = er_out(g, n, 0);
    int64_t cur_dims[ER_MAX_RANK];
    memcpy(cur_dims, x->dims, sizeof cur_dims);
    int32_t cur = x->id;

    /* Which axes need a pass: those whose table is not the identity. */
    int32_t passes[ER_MAX_RANK], n_passes = 0;
    for (int32_t a = 0; a < rp.rank; a++) {
        if (rp.out[a] != x->dims[a] || rp.scale[a] != 1.0 || rp.spec.coord == ER_COORD_TF_CROP_AND_RESIZE)
            passes[n_passes++] = a;
    }
    if (!n_passes) return er_lower_copy(g, n, x->id, y->id);
    for (int32_t i = 0; i < n_passes; i++) {
        int32_t a = passes[i];
        er_resample_spec s = rp.spec;
        s.in_len = (int32_t)x->dims[a];
        s.out_len = (int32_t)rp.out[a];
        s.scale = rp.scale[a];
        s.roi_start = rp.roi_start[a];
        s.roi_end = rp.roi_end[a];
        int32_t taps = er_resample_taps(&s);
        if (taps < 0 || (int64_t)taps * s.out_len > INT32_MAX)
            return er_node_fail(g, n, "cannot resample axis %d from %d to %d", a, s.in_len, s.out_len);
        int64_t table_dims[1] = {(int64_t)taps * s.out_len};
        int32_t idx = er_temp_new(g, n, "taps", ER_DTYPE_INT32, 1, table_dims);
        int32_t w = er_temp_new(g, n, "weights", ER_DTYPE_FLOAT, 1, table_dims);
        if (idx < 0 || w < 0) return -1;
        er_tensor *ti = er_t(g, idx), *tw = er_t(g, w);
        int32_t *idx_data = er_alloc_array(g->pool, (size_t)table_dims[0] + 1, sizeof *idx_data);
        float *w_data = er_alloc_array(g->pool, (size_t)table_dims[0] + 1, sizeof *w_data);
        if (!idx_data || !w_data) return -1;
        if (er_resample_table(&s, taps, idx_data, w_data))
            return er_node_fail(g, n, "invalid resampling of axis %d", a);
        ti->store = tw->store = ER_STORE_CONST;
        ti->data = idx_data;
        tw->data = w_data;

        int64_t outer = 1, inner = 1;
        for (int32_t k = 0; k < a; k++) outer *= cur_dims[k];
        for (int32_t k = a + 1; k < rp.rank; k++) inner *= cur_dims[k];
        cur_dims[a] = rp.out[a];
        int32_t next = y->id;
        if (i + 1 < n_passes) {
            next = er_temp_new(g, n, "pass", ER_DTYPE_FLOAT, rp.rank, cur_dims);
            if (next < 0) return -1;
        }
        er_resample_params p = {.outer = (int32_t)outer, .in_len = s.in_len, .out_len = s.out_len,
                                .inner = (int32_t)inner, .taps = taps, .fill = fill};
        if (ER_CALL(g, n, ERK_er_f32_resample_axis, p, cur, idx, w, next)) return -1;
        cur = next;
    }
    return 0;
}
