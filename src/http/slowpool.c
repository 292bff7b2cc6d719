/*
 * The slow-work pool: a mutex-protected FIFO and a few threads. Places in the
 * queue are reserved before jobs are pushed; see slowpool.h.
 */
#include "http/slowpool.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "core/log.h"

struct lk_slowpool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct lk_slow_job *head, *tail;
	size_t queued;	 /* jobs in the list */
	size_t reserved; /* places promised to callers of lk_slowpool_reserve */
	size_t cap;
	bool stopping; /* no more reservations; what is left is cancelled */
	bool joined;
	int nthreads; /* threads actually started */
	pthread_t *threads;
};

static struct lk_slow_job *pop(struct lk_slowpool *p)
{
	struct lk_slow_job *job = p->head;

	p->head = job->next;
	if (!p->head)
		p->tail = NULL;
	job->next = NULL;
	p->queued--;
	return job;
}

static void *worker(void *arg)
{
	struct lk_slowpool *p = arg;
	struct lk_slow_job *job;
	bool cancelled;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		/* A reserved place will be pushed soon: stay until it is. */
		while (!p->head && !(p->stopping && p->reserved == 0))
			pthread_cond_wait(&p->cv, &p->mu);
		if (!p->head)
			break;
		job = pop(p);
		cancelled = p->stopping;
		pthread_mutex_unlock(&p->mu);
		job->run(job, cancelled);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

enum lk_err lk_slowpool_new(int threads, size_t cap, struct lk_slowpool **out)
{
	struct lk_slowpool *p;
	sigset_t all, old;
	enum lk_err err = LK_OK;
	int i;

	if (threads < 1 || cap < 1)
		return LK_EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return LK_ENOMEM;
	p->threads = calloc((size_t)threads, sizeof(*p->threads));
	if (!p->threads) {
		free(p);
		return LK_ENOMEM;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->cap = cap;
	/* Signals are for the application's main thread, not for the pool. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < threads && !err; i++) {
		if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
			err = LK_EINTERNAL;
		else
			p->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		lk_error("cannot start the slow-work threads");
		lk_slowpool_free(p);
		return err;
	}
	*out = p;
	return LK_OK;
}

enum lk_err lk_slowpool_reserve(struct lk_slowpool *p)
{
	enum lk_err err = LK_OK;

	pthread_mutex_lock(&p->mu);
	if (p->stopping || p->queued + p->reserved >= p->cap)
		err = LK_EBUSY;
	else
		p->reserved++;
	pthread_mutex_unlock(&p->mu);
	return err;
}

void lk_slowpool_unreserve(struct lk_slowpool *p)
{
	pthread_mutex_lock(&p->mu);
	p->reserved--;
	/* A stopping worker may be waiting for this very place. */
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void lk_slowpool_push(struct lk_slowpool *p, struct lk_slow_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&p->mu);
	p->reserved--;
	if (p->tail)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	p->queued++;
	/* When stopping, this may have been the last place the threads wait for. */
	if (p->stopping)
		pthread_cond_broadcast(&p->cv);
	else
		pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void lk_slowpool_shutdown(struct lk_slowpool *p)
{
	int i;

	pthread_mutex_lock(&p->mu);
	if (p->joined) {
		pthread_mutex_unlock(&p->mu);
		return;
	}
	p->stopping = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_lock(&p->mu);
	p->joined = true;
	pthread_mutex_unlock(&p->mu);
}

void lk_slowpool_free(struct lk_slowpool *p)
{
	if (!p)
		return;
	lk_slowpool_shutdown(p);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->threads);
	free(p);
}
