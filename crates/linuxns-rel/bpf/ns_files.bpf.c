// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// One pass over every open file of every process: those on nsfs, and
// sockets, which hold their network namespace; and each namespace met, with
// its relations (ns_scan.bpf.h).
#include "ns_scan.bpf.h"

struct task_file_iter_ctx {
	struct iter_meta *meta;
	struct task_struct *task;
	__u32 fd;
	struct file *file;
};

// Before Linux 6.18 the type was in the operations, not in ns_common. From
// 4.15 to 6.17, struct proc_ns_operations began with two pointers (name,
// real_ns_name) and then the type: read at that offset, it asks CO-RE
// nothing, which would search the kernel's BTF for the name on every load.
struct ns_common___old {
	const void *ops;
} __attribute__((preserve_access_index));

static __always_inline __u32 ns_type(struct ns_common *ns)
{
	const void *ops;
	int type = 0;

	if (bpf_core_field_exists(ns->ns_type))
		return BPF_CORE_READ(ns, ns_type);
	ops = BPF_CORE_READ((struct ns_common___old *)ns, ops);
	bpf_probe_read_kernel(&type, sizeof(type), ops + 2 * sizeof(void *));
	return type;
}

// The struct a namespace's ns_common sits in.
#define OUTER(ptr, type) ((type *)((void *)(ptr) - bpf_core_field_offset(type, ns)))

// A namespace on nsfs met through a file, written with its relations.
static __always_inline void nsfs_file(struct seq_file *seq, struct ns_common *ns, __u32 type,
				      __u64 token, struct layout *at)
{
	__u32 zero = 0;
	struct pass *p = bpf_map_lookup_elem(&passes, &zero);

	if (!p)
		return;
	pass_start(p);
	switch (type) {
	case CLONE_NEWUSER:
		owe(p, OUTER(ns, struct user_namespace));
		break;
	case CLONE_NEWPID:
		pid_chain(seq, OUTER(ns, struct pid_namespace), token, p);
		break;
	case CLONE_NEWUTS:
		p->flat[0] = FLAT(OUTER(ns, struct uts_namespace), struct uts_namespace, type);
		break;
	case CLONE_NEWIPC:
		p->flat[0] = FLAT_AT((void *)ns - at->ipc_ns, type, at->ipc_ns, at->ipc_user_ns);
		break;
	case CLONE_NEWNS:
		p->flat[0] = FLAT(OUTER(ns, struct mnt_namespace), struct mnt_namespace, type);
		break;
	case CLONE_NEWNET:
		p->flat[0] = FLAT(OUTER(ns, struct net), struct net, type);
		break;
	case CLONE_NEWCGROUP:
		p->flat[0] = FLAT_AT((void *)ns - at->cgroup_ns, type, at->cgroup_ns, at->cgroup_user_ns);
		break;
	case CLONE_NEWTIME:
		p->flat[0] = FLAT(OUTER(ns, struct time_namespace), struct time_namespace, type);
		break;
	default:
		return;
	}
	flats(seq, token, p);
	owed_chains(seq, token, p);
}

SEC("iter/task_file")
int ns_files(struct task_file_iter_ctx *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct file_rec r = { .kind = REC_FILE, .fd = ctx->fd };
	// The same file may be open in several processes: add the fd.
	__u64 token = (__u64)file + ctx->fd;
	unsigned long magic = 0;
	struct layout *at;
	struct setup *s;
	void *inode;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&setup, &zero);
	if (!task || !file || !s)
		return 0;
	at = &s->at;
	// Loads, not calls: numbers read through the task's pointer cost the
	// verifier nothing more.
	r.pid = task->tgid;
	// /proc/PID/fd shows the table of the thread group's leader only.
	if (task->pid != r.pid)
		return 0;
	inode = read_ptr((void *)file + at->file_inode);
	bpf_probe_read_kernel(&magic, sizeof(magic), read_ptr(inode + at->inode_sb) + at->sb_magic);
	if (magic == NSFS_MAGIC) {
		struct ns_common *ns = read_ptr(inode + at->inode_private);

		if (!ns)
			return 0;
		r.type = ns_type(ns);
		r.ino = BPF_CORE_READ(ns, inum);
		nsfs_file(seq, ns, r.type, token, at);
	} else if (magic == SOCKFS_MAGIC) {
		struct socket *sock = read_ptr((void *)file + at->file_private);
		struct net *net = BPF_CORE_READ(sock, sk, __sk_common.skc_net.net);

		if (!net)
			return 0;
		r.type = CLONE_NEWNET;
		r.socket = 1;
		r.ino = BPF_CORE_READ(net, ns.inum);
		nsfs_file(seq, &net->ns, CLONE_NEWNET, token, at);
	} else {
		return 0;
	}
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}
