/* libcuda_old.c -- a stand-in for the NVIDIA driver's libcuda.so.1 that is too old for the
 * CUDA runtime evo links (it supports CUDA 11.4, and initialises nothing): put its folder on
 * LD_LIBRARY_PATH and evo-worker meets a real "insufficient driver", which must be told apart
 * from a machine with no driver at all (test_worker_nogpu.c). */
int cuDriverGetVersion(int *version);
int cuInit(unsigned flags);

int cuDriverGetVersion(int *version)
{
    *version = 11040;
    return 0;
}

int cuInit(unsigned flags)
{
    (void)flags;
    return 35; /* CUDA_ERROR_INSUFFICIENT_DRIVER */
}
