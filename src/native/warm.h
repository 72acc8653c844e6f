/*
 * Warm mode: a sandbox built once (namespaces, ids, mounts) whose PID 1 then runs one job after
 * another for the host, so a job pays only for its own process.
 *
 * The host talks to PID 1 on a unix stream socket (OP_WARM), one byte per message, descriptors
 * riding along with SCM_RIGHTS:
 *   PID 1 -> host  'R' ready: idle and clean (after the build, and after every job)
 *                  'P' parked: a runner waits inside the next job's cgroup
 *   host -> PID 1  'p' + cgroup.procs descriptors (none without a cgroup): fork the next runner;
 *                      it moves itself into the cgroups with them, ahead of the job
 *                  'j' + the job's descriptors, laid out as a one-shot init gets them (stdin,
 *                      stdout, stderr, the job's plan, its status pipe, then the extra descriptors)
 *                  'K' end the current job (everything in the sandbox but PID 1 is killed)
 * The job's plan carries what its payload needs (command, env, cwd, rlimits, ids, capabilities,
 * Landlock, seccomp, limits); its namespaces and mounts are the warm sandbox's own. The job's
 * status records go to its own status pipe, which PID 1 closes once the job is over.
 *
 * Between jobs PID 1 kills whatever the job left, reaps it, replaces every writable tmpfs, and
 * checks that the mount table is the one it built; if anything is off it exits, and the host
 * builds a new sandbox instead of reusing this one.
 */
#ifndef NSBOX_WARM_H
#define NSBOX_WARM_H

#include "plan.h"

/* Serve jobs until the host closes the socket. Called once the sandbox is built. */
__attribute__((noreturn)) void warm_serve(const struct plan *plan);

#endif
