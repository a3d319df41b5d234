// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// One pass over every task: its ids, comm and ten namespaces, each
// namespace met, with its relations (ns_scan.bpf.h), and the argv[0] of the
// first process met in each namespace of the types asked for. Sleepable, to
// read that from the process's memory.
#include "ns_scan.bpf.h"

#define PF_KTHREAD 0x00200000

struct task_iter_ctx {
	struct iter_meta *meta;
	struct task_struct *task;
};

// The last task's namespaces, and the task whose output handled them
// (wrote them, or found them written): a task whose namespace of a type is
// the last task's, handled by the output of another task and so kept by
// now, asks `seen` nothing and walks no chain for it. Most tasks share all
// of them with the task before.
struct last {
	__u64 token;
	__u32 ns[NS_COUNT];
	// The record being made: the stack has no room for it.
	struct task_rec rec;
	// The last process's namespaces; the last process named, and its
	// argv[0] being written.
	__u32 process_ns[NS_COUNT];
	__u64 named_by;
	struct argv_rec argv;
	// The task's nsproxy, copied in one call instead of a call for each of
	// its pointers, with room for a kernel where it has grown. A read that
	// fails leaves zeros, never the task before's pointers.
	union {
		struct nsproxy nsp;
		char room[128];
	} copy;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct last);
} last SEC(".maps");

// The namespaces whose first process is named, one bit each by inode from
// INO_FROM. The iterator goes in pid order, so that the first process met
// is the lowest pid, where user space's choice of a representative starts
// (and nearly always ends).
#define NAMED_WORDS (1 << 14)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NAMED_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} named SEC(".maps");

// Whether the namespace's first process is to be named, now marked as
// named. Beyond the bitmap, each of its processes is.
static __always_inline int name_first(__u32 ino)
{
	__u32 i = ino - INO_FROM, word = i / 64;
	__u64 bit = 1ULL << (i % 64), *bits = bpf_map_lookup_elem(&named, &word);

	if (!bits)
		return 1;
	if (*bits & bit)
		return 0;
	*bits |= bit;
	return 1;
}

// A process's namespaces looked at, one per step of bpf_loop: whether it
// is the first process met in one that `setup.want` asks for. A namespace that
// the last process was in too was named by now.
struct first_in {
	struct last *c;
	__u32 want;
	int first;
};

static long first_step(__u64 i, void *ctx)
{
	struct first_in *f = ctx;
	__u32 ino;

	if (i >= NS_COUNT)
		return 1;
	ino = f->c->rec.ns[i];
	if (!(f->want & (1 << i)) | !ino | (ino == f->c->process_ns[i]))
		return 0;
	f->c->process_ns[i] = ino;
	f->first |= name_first(ino);
	return 0;
}

// The start of the process's arguments, as /proc/PID/cmdline gives them;
// user space finds argv[0] in it, or reads /proc where it does not end
// there.
static __always_inline void write_argv(struct seq_file *seq, struct task_struct *task,
				       struct argv_rec *a, __s32 pid)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	unsigned long start, end;
	__u32 n;

	a->kind = REC_ARGV;
	a->pid = pid;
	a->len = 0;
	a->err = 0;
	// A kernel thread that borrows a process's memory has no arguments either.
	if (mm && !(BPF_CORE_READ(task, flags) & PF_KTHREAD)) {
		start = BPF_CORE_READ(mm, arg_start);
		end = BPF_CORE_READ(mm, arg_end);
		if (end > start) {
			// Within the arguments, as /proc reads them; the mask bounds
			// the size for the verifier.
			n = end - start < ARGV_READ ? end - start : ARGV_READ - 1;
			a->len = n & (ARGV_READ - 1);
			a->err = bpf_copy_from_user_task(a->argv, a->len, (void *)start, task, 0);
		}
	}
	bpf_seq_write(seq, a, sizeof(*a));
}

SEC("iter.s/task")
int ns_tasks(struct task_iter_ctx *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	__u64 token = (__u64)task;
	struct pid_namespace *pid_ns = NULL, *pid_children = NULL;
	struct user_namespace *user;
	const struct cred *cred;
	struct nsproxy *nsp;
	struct task_rec *r;
	struct setup *s;
	struct pass *p;
	struct last *c;
	void *pid;
	__u32 zero = 0;
	int kept;

	c = bpf_map_lookup_elem(&last, &zero);
	s = bpf_map_lookup_elem(&setup, &zero);
	p = bpf_map_lookup_elem(&passes, &zero);
	if (!task || !c || !s || !p)
		return 0;
	r = &c->rec;
	__builtin_memset(r, 0, sizeof(*r));
	r->kind = REC_TASK;
	// A load through the task's pointer costs an instruction, where
	// BPF_CORE_READ costs a call; but the verifier pays for each load that
	// gives a pointer with a search of the kernel's BTF by name, on every
	// load of the programs, so pointers are read with calls.
	r->tgid = task->tgid;
	r->pid = task->pid;
	r->ppid = BPF_CORE_READ(task, real_parent, tgid);
	cred = BPF_CORE_READ(task, cred);
	r->uid = BPF_CORE_READ(cred, uid.val);
	BPF_CORE_READ_STR_INTO(&r->comm, task, comm);

	user = BPF_CORE_READ(cred, user_ns);
	r->ns[NS_USER] = INUM(user);
	// The PID namespace /proc shows is that of the task's own pid.
	pid = BPF_CORE_READ(task, thread_pid);
	if (pid) {
		unsigned int level = 0;

		bpf_probe_read_kernel(&level, sizeof(level), pid + s->at.pid_level);
		pid_ns = read_ptr(pid + s->at.pid_numbers + level * s->at.upid_size + s->at.upid_ns);
		r->ns[NS_PID] = INUM(pid_ns);
	}
	nsp = BPF_CORE_READ(task, nsproxy);
	pass_start(p);
	if (nsp) {
		struct nsproxy *copy = &c->copy.nsp;
		__u32 size = bpf_core_type_size(struct nsproxy);
		struct uts_namespace *uts;
		struct ipc_namespace *ipc;
		struct mnt_namespace *mnt;
		struct net *net;
		struct cgroup_namespace *cgroup;

		if (size > sizeof(c->copy))
			size = sizeof(c->copy);
		bpf_probe_read_kernel(copy, size, nsp);
		uts = copy->uts_ns;
		ipc = copy->ipc_ns;
		mnt = copy->mnt_ns;
		net = copy->net_ns;
		cgroup = copy->cgroup_ns;
		p->flat[0] = FLAT(uts, struct uts_namespace, CLONE_NEWUTS);
		p->flat[1] = FLAT_AT(ipc, CLONE_NEWIPC, s->at.ipc_ns, s->at.ipc_user_ns);
		p->flat[2] = FLAT(mnt, struct mnt_namespace, CLONE_NEWNS);
		p->flat[3] = FLAT(net, struct net, CLONE_NEWNET);
		p->flat[4] = FLAT_AT(cgroup, CLONE_NEWCGROUP, s->at.cgroup_ns, s->at.cgroup_user_ns);
		r->ns[NS_UTS] = INUM(uts);
		r->ns[NS_IPC] = INUM_AT(ipc, s->at.ipc_ns);
		r->ns[NS_MNT] = INUM(mnt);
		r->ns[NS_NET] = INUM(net);
		r->ns[NS_CGROUP] = INUM_AT(cgroup, s->at.cgroup_ns);
		if (bpf_core_field_exists(nsp->time_ns)) {
			struct time_namespace *time = copy->time_ns;
			struct time_namespace *time_children = copy->time_ns_for_children;

			p->flat[5] = FLAT(time, struct time_namespace, CLONE_NEWTIME);
			p->flat[6] = FLAT(time_children, struct time_namespace, CLONE_NEWTIME);
			r->ns[NS_TIME] = INUM(time);
			r->ns[NS_TIME_CHILDREN] = INUM(time_children);
		}
		pid_children = copy->pid_ns_for_children;
		r->ns[NS_PID_CHILDREN] = INUM(pid_children);
	}

	// Branch-free tests: each branch here doubles what the verifier walks.
	kept = c->token != token;
	if (!kept | (r->ns[NS_USER] != c->ns[NS_USER]))
		owe(p, user);
	if (!kept | (r->ns[NS_PID] != c->ns[NS_PID]))
		pid_chain(seq, pid_ns, token, p);
	if (!kept | (r->ns[NS_UTS] != c->ns[NS_UTS]) | (r->ns[NS_IPC] != c->ns[NS_IPC]) |
	    (r->ns[NS_MNT] != c->ns[NS_MNT]) | (r->ns[NS_NET] != c->ns[NS_NET]) |
	    (r->ns[NS_CGROUP] != c->ns[NS_CGROUP]) | (r->ns[NS_TIME] != c->ns[NS_TIME]) |
	    (r->ns[NS_TIME_CHILDREN] != c->ns[NS_TIME_CHILDREN])) {
		flats(seq, token, p);
	}
	if (!kept | (r->ns[NS_PID_CHILDREN] != c->ns[NS_PID_CHILDREN]))
		pid_chain(seq, pid_children, token, p);
	owed_chains(seq, token, p);
	// A process run again, its output dropped for want of room, names
	// itself again.
	if (r->pid == r->tgid) {
		struct first_in f = { .c = c, .want = s->want };

		if (f.want && c->named_by != token)
			bpf_loop(NS_COUNT, first_step, &f, 0);
		if (f.want && ((c->named_by == token) | f.first)) {
			write_argv(seq, task, &c->argv, r->pid);
			c->named_by = token;
		}
	}
	__builtin_memcpy(c->ns, r->ns, sizeof(r->ns));
	c->token = token;
	bpf_seq_write(seq, r, sizeof(*r));
	return 0;
}
