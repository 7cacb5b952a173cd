/* dist.c — the MPI calls of a distributed run (see dist.h); nothing else
 * in covcast calls MPI. Built with MPI only when COV_MPI is defined. */
#include "dist.h"

#include <stdio.h>
#include <stdlib.h>

#ifdef COV_MPI
#include <mpi.h>

#define CHUNK (1L << 27)   /* MPI counts are ints: move large buffers in pieces */

void cov_dist_init(int *argc, char ***argv)
{
    int level;
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &level);   /* OpenMP threads; MPI from the main one */
    if (cov_dist_rank() != 0) {   /* rank 0 speaks for the run */
        if (!freopen("/dev/null", "w", stdout)) return;
        if (!freopen("/dev/null", "w", stderr)) return;
    }
}

void cov_dist_finalize(void) { MPI_Finalize(); }

int cov_dist_rank(void)
{
    int r = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

int cov_dist_size(void)
{
    int n = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    return n;
}

int64_t cov_dist_min_i64(int64_t v)
{
    MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD);
    return v;
}

bool cov_dist_all(bool ok)
{
    int v = ok;
    MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    return v != 0;
}

bool cov_dist_sum_i64(int64_t *buf, long n)
{
    for (long at = 0; at < n; at += CHUNK) {
        int k = (int)(n - at < CHUNK ? n - at : CHUNK);
        if (MPI_Allreduce(MPI_IN_PLACE, buf + at, k, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS) return false;
    }
    return true;
}

bool cov_dist_gather(void *buf, const long *off)
{
    int size = cov_dist_size(), rank = cov_dist_rank();
    char *b = buf;
    for (int r = 1; r < size; r++) {   /* point to point, in pieces: rank 0 receives each share */
        for (long at = off[r]; at < off[r + 1]; at += CHUNK) {
            int k = (int)(off[r + 1] - at < CHUNK ? off[r + 1] - at : CHUNK);
            if (rank == r && MPI_Send(b + at, k, MPI_BYTE, 0, 7, MPI_COMM_WORLD) != MPI_SUCCESS) return false;
            if (rank == 0 && MPI_Recv(b + at, k, MPI_BYTE, r, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS)
                return false;
        }
    }
    return true;
}

bool cov_dist_share(void *buf, const long *off)
{
    if (!cov_dist_gather(buf, off)) return false;
    char *b = buf;
    long end = off[cov_dist_size()];
    for (long at = off[0]; at < end; at += CHUNK) {
        int k = (int)(end - at < CHUNK ? end - at : CHUNK);
        if (MPI_Bcast(b + at, k, MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS) return false;
    }
    return true;
}

#else

void cov_dist_init(int *argc, char ***argv) { (void)argc; (void)argv; }
void cov_dist_finalize(void) {}
int cov_dist_rank(void) { return 0; }
int cov_dist_size(void) { return 1; }
int64_t cov_dist_min_i64(int64_t v) { return v; }
bool cov_dist_all(bool ok) { return ok; }
bool cov_dist_sum_i64(int64_t *buf, long n) { (void)buf; (void)n; return true; }
bool cov_dist_gather(void *buf, const long *off) { (void)buf; (void)off; return true; }
bool cov_dist_share(void *buf, const long *off) { (void)buf; (void)off; return true; }

#endif
