// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// One pass over every task and one over every open file, writing fixed-size
// records that src/bpf_scan.rs reads: each task's ten namespaces, and each
// namespace met with its parent, owner and owner uid, once per scan.
// The programs only read kernel memory.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define NSFS_MAGIC 0x6e736673
#define SOCKFS_MAGIC 0x534f434b
// User and PID namespaces nest at most 32 deep: 33 with the initial one.
#define MAX_DEPTH 33

#define CLONE_NEWTIME 0x00000080
#define CLONE_NEWNS 0x00020000
#define CLONE_NEWCGROUP 0x02000000
#define CLONE_NEWUTS 0x04000000
#define CLONE_NEWIPC 0x08000000
#define CLONE_NEWUSER 0x10000000
#define CLONE_NEWPID 0x20000000
#define CLONE_NEWNET 0x40000000

enum { REC_TASK = 1, REC_NS = 2, REC_FILE = 3 };

// The namespace types without a hierarchy, time_for_children included.
#define NFLAT 7

// The ten namespaces of a task, in the order of struct task_rec's ns[].
enum { NS_USER, NS_PID, NS_UTS, NS_IPC, NS_MNT, NS_PID_CHILDREN, NS_NET,
       NS_TIME, NS_TIME_CHILDREN, NS_CGROUP, NS_COUNT };

struct task_rec {
	__u32 kind;
	__s32 tgid;
	__s32 pid;
	__s32 ppid;
	__u32 uid;
	__u32 ns[NS_COUNT];
	char comm[16];
	__u32 pad;
};

struct ns_rec {
	__u32 kind;
	__u32 ino;
	__u32 type;
	__u32 parent;
	__u32 owner;
	__u32 owner_uid;
	__u64 id;
};

struct file_rec {
	__u32 kind;
	__s32 pid;
	__s32 fd;
	__u32 ino;
	__u32 type;
	__u32 socket;
};

// Before Linux 6.18 the type was in the operations, not in ns_common.
struct proc_ns_operations___old {
	int type;
} __attribute__((preserve_access_index));

struct ns_common___old {
	const struct proc_ns_operations___old *ops;
} __attribute__((preserve_access_index));

// The namespaces already written in this scan, each with the object (task,
// or file) whose output wrote it; the map dies with the scan.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

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
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct last);
} last SEC(".maps");

// Whether the namespace is to be written for the object `token`: not
// written before, or by this same object. When an object's output overruns
// the read's buffer, the kernel drops all of it and runs the program on the
// object again, so that what it wrote the first time must be written again.
// A full map only costs repeats.
static __always_inline int first_time(__u32 ino, __u64 token)
{
	__u64 *by = bpf_map_lookup_elem(&seen, &ino);

	if (by)
		return *by == token;
	// Both iterators run at once: the other may have written it since.
	return bpf_map_update_elem(&seen, &ino, &token, BPF_NOEXIST) == 0;
}

// The id NS_GET_ID gives (Linux 6.18), 0 before.
static __always_inline __u64 ns_id(struct ns_common *ns)
{
	if (bpf_core_field_exists(ns->ns_id))
		return BPF_CORE_READ(ns, ns_id);
	return 0;
}

static __always_inline void write_ns(struct seq_file *seq, struct ns_common *ns, __u32 ino,
				     __u32 type, __u32 parent, __u32 owner, __u32 owner_uid)
{
	struct ns_rec r = {
		.kind = REC_NS,
		.ino = ino,
		.type = type,
		.parent = parent,
		.owner = owner,
		.owner_uid = owner_uid,
		.id = ns_id(ns),
	};

	bpf_seq_write(seq, &r, sizeof(r));
}

// A chain being walked up, one namespace per step of bpf_loop: a loop the
// verifier checks once, where a bounded loop would be checked per pass and
// two nested ones overrun its limit.
struct walk {
	struct seq_file *seq;
	void *ns;
	__u64 token;
};

static long user_step(__u64 i, void *ctx)
{
	struct walk *w = ctx;
	struct user_namespace *ns = w->ns, *parent;
	__u32 ino, up;

	if (!ns)
		return 1;
	ino = BPF_CORE_READ(ns, ns.inum);
	if (!first_time(ino, w->token))
		return 1;
	parent = BPF_CORE_READ(ns, parent);
	up = parent ? BPF_CORE_READ(parent, ns.inum) : 0;
	write_ns(w->seq, &ns->ns, ino, CLONE_NEWUSER, up, up, BPF_CORE_READ(ns, owner.val));
	w->ns = parent;
	return 0;
}

// A user namespace and its ancestors up to the first one written before.
static __always_inline void user_chain(struct seq_file *seq, struct user_namespace *ns,
				       __u64 token)
{
	struct walk w = { .seq = seq, .ns = ns, .token = token };

	bpf_loop(MAX_DEPTH, user_step, &w, 0);
}

static long pid_step(__u64 i, void *ctx)
{
	struct walk *w = ctx;
	struct pid_namespace *ns = w->ns, *parent;
	struct user_namespace *owner;
	__u32 ino;

	if (!ns)
		return 1;
	ino = BPF_CORE_READ(ns, ns.inum);
	if (!first_time(ino, w->token))
		return 1;
	parent = BPF_CORE_READ(ns, parent);
	owner = BPF_CORE_READ(ns, user_ns);
	write_ns(w->seq, &ns->ns, ino, CLONE_NEWPID, parent ? BPF_CORE_READ(parent, ns.inum) : 0,
		 BPF_CORE_READ(owner, ns.inum), 0);
	user_chain(w->seq, owner, w->token);
	w->ns = parent;
	return 0;
}

// A PID namespace and its ancestors, with the owners of each.
static __always_inline void pid_chain(struct seq_file *seq, struct pid_namespace *ns,
				      __u64 token)
{
	struct walk w = { .seq = seq, .ns = ns, .token = token };

	bpf_loop(MAX_DEPTH, pid_step, &w, 0);
}

// A namespace of a type without a hierarchy, by its ns_common and owner.
struct flat {
	struct ns_common *ns;
	struct user_namespace *owner;
	// In: its type. Out: its inode (the stack has no room for both).
	__u32 type;
};

struct flats {
	struct seq_file *seq;
	__u64 token;
	struct flat ns[NFLAT];
};

static long flat_step(__u64 i, void *ctx)
{
	struct flats *f = ctx;
	struct user_namespace *owner;
	struct ns_common *ns;
	__u32 ino;

	if (i >= NFLAT)
		return 1;
	// Copied out first: a CO-RE read relocates every access in its
	// argument, and struct flat is no kernel type.
	ns = f->ns[i].ns;
	owner = f->ns[i].owner;
	if (!ns) {
		f->ns[i].type = 0;
		return 0;
	}
	ino = BPF_CORE_READ(ns, inum);
	if (first_time(ino, f->token)) {
		write_ns(f->seq, ns, ino, f->ns[i].type, 0, BPF_CORE_READ(owner, ns.inum), 0);
		user_chain(f->seq, owner, f->token);
	}
	f->ns[i].type = ino;
	return 0;
}

// Up to seven namespaces without a hierarchy, in one loop: each place that
// walks a chain costs the verifier a pass over it.
static __always_inline void flats(struct flats *f)
{
	bpf_loop(NFLAT, flat_step, f, 0);
}

#define FLAT(p, t) \
	((struct flat){ .ns = (p) ? &(p)->ns : 0, .owner = (p) ? BPF_CORE_READ(p, user_ns) : 0, .type = (t) })

// 0 where there is none: a failed read gives 0, with no branch to verify.
#define INUM(p) BPF_CORE_READ(p, ns.inum)

SEC("iter/task")
int ns_tasks(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	__u64 token = (__u64)task;
	struct uts_namespace *uts = NULL;
	struct ipc_namespace *ipc = NULL;
	struct mnt_namespace *mnt = NULL;
	struct net *net = NULL;
	struct cgroup_namespace *cgroup = NULL;
	struct time_namespace *time = NULL, *time_children = NULL;
	struct pid_namespace *pid_ns = NULL, *pid_children = NULL;
	struct user_namespace *user;
	const struct cred *cred;
	struct nsproxy *nsp;
	struct task_rec *r;
	struct last *c;
	struct pid *pid;
	__u32 zero = 0;
	int kept;

	c = bpf_map_lookup_elem(&last, &zero);
	if (!task || !c)
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
		unsigned int level = BPF_CORE_READ(pid, level);

		pid_ns = BPF_CORE_READ(pid, numbers[level].ns);
		r->ns[NS_PID] = INUM(pid_ns);
	}
	nsp = BPF_CORE_READ(task, nsproxy);
	if (nsp) {
		uts = BPF_CORE_READ(nsp, uts_ns);
		ipc = BPF_CORE_READ(nsp, ipc_ns);
		mnt = BPF_CORE_READ(nsp, mnt_ns);
		net = BPF_CORE_READ(nsp, net_ns);
		cgroup = BPF_CORE_READ(nsp, cgroup_ns);
		if (bpf_core_field_exists(nsp->time_ns)) {
			time = BPF_CORE_READ(nsp, time_ns);
			time_children = BPF_CORE_READ(nsp, time_ns_for_children);
		}
		pid_children = BPF_CORE_READ(nsp, pid_ns_for_children);
		r->ns[NS_UTS] = INUM(uts);
		r->ns[NS_IPC] = INUM(ipc);
		r->ns[NS_MNT] = INUM(mnt);
		r->ns[NS_NET] = INUM(net);
		r->ns[NS_CGROUP] = INUM(cgroup);
		r->ns[NS_TIME] = INUM(time);
		r->ns[NS_TIME_CHILDREN] = INUM(time_children);
		r->ns[NS_PID_CHILDREN] = INUM(pid_children);
	}

	// Branch-free tests: each branch here doubles what the verifier walks.
	kept = c->token != token;
	if (!kept | (r->ns[NS_USER] != c->ns[NS_USER]))
		user_chain(seq, user, token);
	if (!kept | (r->ns[NS_PID] != c->ns[NS_PID]))
		pid_chain(seq, pid_ns, token);
	if (!kept | (r->ns[NS_UTS] != c->ns[NS_UTS]) | (r->ns[NS_IPC] != c->ns[NS_IPC]) |
	    (r->ns[NS_MNT] != c->ns[NS_MNT]) | (r->ns[NS_NET] != c->ns[NS_NET]) |
	    (r->ns[NS_CGROUP] != c->ns[NS_CGROUP]) | (r->ns[NS_TIME] != c->ns[NS_TIME]) |
	    (r->ns[NS_TIME_CHILDREN] != c->ns[NS_TIME_CHILDREN]) |
	    (r->ns[NS_PID_CHILDREN] != c->ns[NS_PID_CHILDREN])) {
		struct flats f = { .seq = seq, .token = token };

		f.ns[0] = FLAT(uts, CLONE_NEWUTS);
		f.ns[1] = FLAT(ipc, CLONE_NEWIPC);
		f.ns[2] = FLAT(mnt, CLONE_NEWNS);
		f.ns[3] = FLAT(net, CLONE_NEWNET);
		f.ns[4] = FLAT(cgroup, CLONE_NEWCGROUP);
		f.ns[5] = FLAT(time, CLONE_NEWTIME);
		f.ns[6] = FLAT(time_children, CLONE_NEWTIME);
		flats(&f);
		pid_chain(seq, pid_children, token);
	}
	__builtin_memcpy(c->ns, r->ns, sizeof(r->ns));
	c->token = token;
	bpf_seq_write(seq, r, sizeof(*r));
	return 0;
}

static __always_inline __u32 ns_type(struct ns_common *ns)
{
	if (bpf_core_field_exists(ns->ns_type))
		return BPF_CORE_READ(ns, ns_type);
	return BPF_CORE_READ((struct ns_common___old *)ns, ops, type);
}

// The struct a namespace's ns_common sits in.
#define OUTER(ptr, type) ((type *)((void *)(ptr) - bpf_core_field_offset(type, ns)))

// A namespace on nsfs met through a file, written with its relations.
static __always_inline void nsfs_file(struct seq_file *seq, struct ns_common *ns, __u32 type,
				      __u64 token)
{
	struct flats f = { .seq = seq, .token = token };

	switch (type) {
	case CLONE_NEWUSER:
		user_chain(seq, OUTER(ns, struct user_namespace), token);
		return;
	case CLONE_NEWPID:
		pid_chain(seq, OUTER(ns, struct pid_namespace), token);
		return;
	case CLONE_NEWUTS:
		f.ns[0] = FLAT(OUTER(ns, struct uts_namespace), type);
		break;
	case CLONE_NEWIPC:
		f.ns[0] = FLAT(OUTER(ns, struct ipc_namespace), type);
		break;
	case CLONE_NEWNS:
		f.ns[0] = FLAT(OUTER(ns, struct mnt_namespace), type);
		break;
	case CLONE_NEWNET:
		f.ns[0] = FLAT(OUTER(ns, struct net), type);
		break;
	case CLONE_NEWCGROUP:
		f.ns[0] = FLAT(OUTER(ns, struct cgroup_namespace), type);
		break;
	case CLONE_NEWTIME:
		f.ns[0] = FLAT(OUTER(ns, struct time_namespace), type);
		break;
	default:
		return;
	}
	flats(&f);
}

SEC("iter/task_file")
int ns_files(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct file_rec r = { .kind = REC_FILE, .fd = ctx->fd };
	// The same file may be open in several processes: add the fd.
	__u64 token = (__u64)file + ctx->fd;
	struct inode *inode;
	unsigned long magic;

	if (!task || !file)
		return 0;
	r.pid = BPF_CORE_READ(task, tgid);
	// /proc/PID/fd shows the table of the thread group's leader only.
	if (BPF_CORE_READ(task, pid) != r.pid)
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	magic = BPF_CORE_READ(inode, i_sb, s_magic);
	if (magic == NSFS_MAGIC) {
		struct ns_common *ns = BPF_CORE_READ(inode, i_private);

		if (!ns)
			return 0;
		r.type = ns_type(ns);
		r.ino = BPF_CORE_READ(ns, inum);
		nsfs_file(seq, ns, r.type, token);
	} else if (magic == SOCKFS_MAGIC) {
		struct socket *sock = BPF_CORE_READ(file, private_data);
		struct net *net = BPF_CORE_READ(sock, sk, __sk_common.skc_net.net);

		if (!net)
			return 0;
		r.type = CLONE_NEWNET;
		r.socket = 1;
		r.ino = BPF_CORE_READ(net, ns.inum);
		nsfs_file(seq, &net->ns, CLONE_NEWNET, token);
	} else {
		return 0;
	}
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
