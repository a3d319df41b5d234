// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// What both iterators share (ns_tasks.bpf.c, ns_files.bpf.c): the
// fixed-size records that src/bpf_scan/records.rs reads, and the walks that
// write each namespace met with its parent, owner and owner uid, once per
// iterator. Each iterator is an object of its own, so that both load at
// once, with maps of its own. The programs only read kernel memory.
#ifndef NS_SCAN_BPF_H
#define NS_SCAN_BPF_H
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

enum { REC_TASK = 1, REC_NS = 2, REC_FILE = 3, REC_ARGV = 4 };

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

// Room for the start of a process's arguments: argv[0] where it ends within
// the first ARGV_READ - 1 bytes.
#define ARGV_READ 128

struct argv_rec {
	__u32 kind;
	__s32 pid;
	// The bytes read: its arguments' length, up to ARGV_READ - 1; 0 for
	// none (a kernel thread, a zombie), as /proc/PID/cmdline has none.
	__u32 len;
	// 0, or the read's error.
	__s32 err;
	char argv[ARGV_READ];
};

// Where the fields of seven kernel types lie, read by user space from the
// kernel's BTF (src/bpf_scan/layout.rs) and written before the run. Through
// CO-RE, the kernel would search its BTF for each type's name on every load
// where its cache of those searches (31 slots, by a hash of the name) does
// not hold it; each of these names shares its slot with the name of a type
// the programs relocate through CO-RE (pid with pid_namespace; ipc_namespace
// and super_block with mnt_namespace; inode with net; file with ns_common;
// cgroup_namespace with time_namespace), so that every load searched again.
struct layout {
	__u32 pid_level;
	__u32 pid_numbers;
	__u32 upid_size;
	__u32 upid_ns;
	__u32 ipc_ns;
	__u32 ipc_user_ns;
	__u32 cgroup_ns;
	__u32 cgroup_user_ns;
	__u32 sb_magic;
	__u32 inode_sb;
	__u32 inode_private;
	__u32 file_inode;
	__u32 file_private;
};

// What user space writes after the load, before the run.
struct setup {
	struct layout at;
	// Whose first process to name (ns_tasks.bpf.c): bit i for the
	// namespaces of a task record's ns[i].
	__u32 want;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct setup);
} setup SEC(".maps");

// The pointer at `at`; 0 where it cannot be read.
static __always_inline void *read_ptr(const void *at)
{
	void *p = 0;

	bpf_probe_read_kernel(&p, sizeof(p), at);
	return p;
}

// The iterators' contexts are declared as the kernel's BPF iterator ABI
// fixes them, without CO-RE, which would search the kernel's BTF for each of
// these names on every load for nothing.
struct iter_meta {
	struct seq_file *seq;
};

// The kernel gives the initial namespaces the inodes just below 0xF0000000,
// and the others its lowest free ones from there (shared with the entries
// of /proc), so that most inodes lie within a few thousand of INO_FROM.
#define INO_FROM 0xEFFFFFF0u
#define SEEN_NEAR (1 << 16)

// The namespaces this iterator has written, each with the object (task, or
// file) whose output wrote it: by inode from INO_FROM in an array, which
// costs a lookup no call, and in a hash beyond. Both die with the scan. The
// hash is made and freed bucket by bucket on each scan, one bucket an entry:
// it holds the few beyond the array, and where it is full, those that do not
// fit are written again each time they are met.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SEEN_NEAR);
	__type(key, __u32);
	__type(value, __u64);
} seen_near SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

// Whether the namespace is to be written for the object `token` (never 0):
// not written before, or by this same object. When an object's output
// overruns the read's buffer, the kernel drops all of it and runs the
// program on the object again, so that what it wrote the first time must
// be written again. A full map only costs repeats.
static __always_inline int first_time(__u32 ino, __u64 token)
{
	__u32 near = ino - INO_FROM;
	__u64 *by = bpf_map_lookup_elem(&seen_near, &near);

	if (by) {
		if (*by)
			return *by == token;
		*by = token;
		return 1;
	}
	by = bpf_map_lookup_elem(&seen, &ino);
	if (by)
		return *by == token;
	bpf_map_update_elem(&seen, &ino, &token, BPF_ANY);
	return 1;
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

// A namespace of a type without a hierarchy: the struct it lies in, where
// in that struct its ns_common and the pointer to its owner lie, and its
// type. Its owner is read only where it is written.
struct flat {
	void *at;
	__u32 ns_at;
	__u32 owner_at;
	__u32 type;
};

// At most this many user namespaces owed a walk in one pass: the task's own,
// the owners of two PID chains of at most MAX_DEPTH each, and of NFLAT others.
#define MAX_OWED (1 + 2 * MAX_DEPTH + NFLAT)

// What one run of a program walks, in a map: on the stack it would make each
// of the verifier's states larger to copy and compare.
struct pass {
	// The namespaces without a hierarchy to walk (flats()).
	struct flat flat[NFLAT];
	// The user namespaces whose chains are owed (owe()), walked in one
	// place (owed_chains()): each place that walks a chain costs the
	// verifier a pass over it.
	__u32 owed_count;
	struct user_namespace *owed[MAX_OWED];
	// The one owed last: most often owed again next.
	struct user_namespace *owed_last;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pass);
} passes SEC(".maps");

// A walk, one namespace per step of bpf_loop: a loop the verifier checks
// once, where a bounded loop would be checked per pass and two nested ones
// overrun its limit.
struct walk {
	struct seq_file *seq;
	void *ns;
	__u64 token;
	struct pass *pass;
};

// A pass starts with nothing to walk: nothing that the pass before left,
// and no slot this one leaves empty, is walked.
static __always_inline void pass_start(struct pass *p)
{
	__builtin_memset(p->flat, 0, sizeof(p->flat));
	p->owed_count = 0;
	p->owed_last = 0;
}

// Has the chain of `ns` walked at the end of the pass (owed_chains()).
// MAX_OWED holds all that a pass can owe: the bound is for the verifier.
static __always_inline void owe(struct pass *p, struct user_namespace *ns)
{
	__u32 n = p->owed_count;

	if (!ns || ns == p->owed_last || n >= MAX_OWED)
		return;
	p->owed[n] = ns;
	p->owed_count = n + 1;
	p->owed_last = ns;
}

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

static long owed_step(__u64 i, void *ctx)
{
	struct walk *w = ctx;
	struct walk up = { .seq = w->seq, .token = w->token };

	if (i >= w->pass->owed_count || i >= MAX_OWED)
		return 1;
	up.ns = w->pass->owed[i];
	bpf_loop(MAX_DEPTH, user_step, &up, 0);
	return 0;
}

// Each owed user namespace and its ancestors, up to the first one written
// before.
static __always_inline void owed_chains(struct seq_file *seq, __u64 token, struct pass *p)
{
	struct walk w = { .seq = seq, .token = token, .pass = p };

	bpf_loop(MAX_OWED, owed_step, &w, 0);
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
	owe(w->pass, owner);
	w->ns = parent;
	return 0;
}

// A PID namespace and its ancestors; their owners are owed.
static __always_inline void pid_chain(struct seq_file *seq, struct pid_namespace *ns,
				      __u64 token, struct pass *p)
{
	struct walk w = { .seq = seq, .ns = ns, .token = token, .pass = p };

	bpf_loop(MAX_DEPTH, pid_step, &w, 0);
}

static long flat_step(__u64 i, void *ctx)
{
	struct walk *w = ctx;
	struct user_namespace *owner;
	struct ns_common *ns;
	struct flat *f;
	__u32 ino;

	if (i >= NFLAT)
		return 1;
	f = &w->pass->flat[i];
	if (!f->at)
		return 0;
	ns = f->at + f->ns_at;
	ino = BPF_CORE_READ(ns, inum);
	if (first_time(ino, w->token)) {
		owner = read_ptr(f->at + f->owner_at);
		write_ns(w->seq, ns, ino, f->type, 0, BPF_CORE_READ(owner, ns.inum), 0);
		owe(w->pass, owner);
	}
	return 0;
}

// The namespaces of the pass's `flat`, in one loop; their owners are owed.
static __always_inline void flats(struct seq_file *seq, __u64 token, struct pass *p)
{
	struct walk w = { .seq = seq, .token = token, .pass = p };

	bpf_loop(NFLAT, flat_step, &w, 0);
}

// A namespace of a type whose layout CO-RE gives.
#define FLAT(p, T, t)                                                              \
	((struct flat){ .at = (p), .ns_at = bpf_core_field_offset(T, ns),            \
			.owner_at = bpf_core_field_offset(T, user_ns), .type = (t) })

// A namespace of a type whose layout user space gave.
#define FLAT_AT(p, t, ns_at_, owner_at_) \
	((struct flat){ .at = (p), .ns_at = (ns_at_), .owner_at = (owner_at_), .type = (t) })

// 0 where there is none: a failed read gives 0, with no branch to verify.
#define INUM(p) BPF_CORE_READ(p, ns.inum)
// The offset is added outside the CO-RE read, which would relocate it as an
// access to struct setup.
static __always_inline __u32 inum_of(struct ns_common *ns)
{
	return BPF_CORE_READ(ns, inum);
}

#define INUM_AT(p, ns_at) inum_of((void *)(p) + (ns_at))

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#endif
