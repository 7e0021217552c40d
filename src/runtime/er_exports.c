/* er_exports.c - the functions a model module exports (edgerun.h), over the
   native API (er_runtime.h). The only state added here is the last response,
   which the module owns until the next run. */
#include "edgerun.h"
#include "er_model.h"
#include "er_runtime.h"

/* What er_run returns when not even an error response could be allocated. */
static const char out_of_memory[] =
    "{\"error\":{\"code\":\"E_MEMORY\",\"message\":\"out of memory for the response\"}}";

static char *last_response;

static const char *keep(char *response)
{
    er_mem_free(last_response);
    last_response = response;
    return response ? response : out_of_memory;
}

void *er_alloc(size_t n)
{
    return er_mem_alloc(n);
}

void er_free(void *p)
{
    er_mem_free(p);
}

const char *er_info(void)
{
    const char *info = er_runtime_info();
    return info ? info : out_of_memory;
}

const char *er_run(const char *request, size_t len)
{
    /* Free the previous response first: its memory can serve this request. */
    keep(NULL);
    return keep(er_runtime_run(request, len));
}

void *er_io_data(int32_t is_output, int32_t index)
{
    int32_t n = is_output ? er_model.n_outputs : er_model.n_inputs;
    if (index < 0 || index >= n) return NULL;
    return is_output ? er_model.outputs[index].data : er_model.inputs[index].data;
}

const char *er_run_tensors(void)
{
    keep(NULL);
    return keep(er_runtime_run_tensors());
}

uint32_t er_set_max_pixels(uint32_t max_pixels)
{
    return er_runtime_set_max_pixels(max_pixels);
}
