/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * A minimal fork-join: threads are started per call (tens of microseconds), which keeps the
 * library free of global state. Work is split into numbered tasks; results never depend on
 * which thread ran which task.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "internal/core.h"

int pkh__cpu_count(void)
{
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (n > 256 ? 256 : (int)n);
}

int pkh__threads(int requested)
{
    if (requested <= 0) {
        return pkh__cpu_count();
    }
    return requested > 256 ? 256 : requested;
}

typedef struct pool_run {
    pkh__task_fn fn;
    void *ctx;
    int64_t n;
    atomic_llong next;
    pthread_mutex_t lock;
    int64_t failed_at; /* lowest failing task so far, n when none */
    pkh_status failed_status;
} pool_run;

static void *worker(void *arg)
{
    pool_run *run = arg;
    for (;;) {
        const int64_t i = atomic_fetch_add(&run->next, 1);
        if (i >= run->n) {
            break;
        }
        pthread_mutex_lock(&run->lock);
        const int64_t failed_at = run->failed_at;
        pthread_mutex_unlock(&run->lock);
        if (i > failed_at) {
            continue; /* a lower task already failed; its status wins */
        }
        const pkh_status st = run->fn(run->ctx, i);
        if (st != PKH_OK) {
            pthread_mutex_lock(&run->lock);
            if (i < run->failed_at) {
                run->failed_at = i;
                run->failed_status = st;
            }
            pthread_mutex_unlock(&run->lock);
        }
    }
    return NULL;
}

pkh_status pkh__parallel_for(int threads, int64_t n, pkh__task_fn fn, void *ctx)
{
    if (n <= 0) {
        return PKH_OK;
    }
    threads = pkh__threads(threads);
    if (threads > n) {
        threads = (int)n;
    }
    pool_run run;
    run.fn = fn;
    run.ctx = ctx;
    run.n = n;
    atomic_init(&run.next, 0);
    run.failed_at = n;
    run.failed_status = PKH_OK;
    pthread_mutex_init(&run.lock, NULL);
    if (threads <= 1) {
        worker(&run);
        pthread_mutex_destroy(&run.lock);
        return run.failed_status;
    }
    pthread_t tid[256];
    int started = 0;
    for (int t = 1; t < threads; t++) {
        if (pthread_create(&tid[started], NULL, worker, &run) != 0) {
            break; /* fewer threads: same results, just slower */
        }
        started++;
    }
    worker(&run);
    for (int t = 0; t < started; t++) {
        pthread_join(tid[t], NULL);
    }
    pthread_mutex_destroy(&run.lock);
    return run.failed_status;
}
