/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the packet core needs from its compiler, written so that clang -target bpf, g++ (C++20)
 * and clang (tests, fuzzers) all take it: no libc, no allocation.
 */
#ifndef ANYCASTD_CORE_COMPAT_H
#define ANYCASTD_CORE_COMPAT_H

#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ac_htons(x) ((__u16)__builtin_bswap16((__u16)(x)))
#define ac_htonl(x) ((__u32)__builtin_bswap32((__u32)(x)))
#else
#define ac_htons(x) ((__u16)(x))
#define ac_htonl(x) ((__u32)(x))
#endif
#define ac_ntohs(x) ac_htons(x)
#define ac_ntohl(x) ac_htonl(x)

#define ac_copy(dst, src, n) __builtin_memcpy((dst), (src), (n))

/*
 * A copy of header fields, which all sit at even offsets in a frame that starts 2-aligned
 * (Ethernet's 14 bytes, 4-byte tags, fixed IP headers; XDP's and DPDK's headroom, NET_IP_ALIGN):
 * told so through the pointers' type, the compiler moves 2 bytes or more at a time where, for
 * BPF, it would otherwise move one byte at a time (docs/benchmarks.md, "Proposed changes" 2).
 * (Not __builtin_assume_aligned: clang 14 crashes on it under -fsanitize=alignment.)
 */
#define ac_copy_even(dst, src, n) \
	__builtin_memcpy((__u16 *)(void *)(dst), (const __u16 *)(const void *)(src), (n))

/* A word of the frame at an even offset, as it is in memory (for sums), by the same reasoning. */
static __always_inline __u16 ac_even_word16(const void *p)
{
	__u16 word;
	__builtin_memcpy(&word, (const __u16 *)p, 2);
	return word;
}

static __always_inline __u32 ac_even_word32(const void *p)
{
	__u32 word;
	__builtin_memcpy(&word, (const __u16 *)p, 4);
	return word;
}

/* Loops the verifier must see unrolled; g++ spells the pragma differently from clang. */
#if defined(__clang__)
#define AC_UNROLL _Pragma("unroll")
#else
#define AC_UNROLL _Pragma("GCC unroll 16")
#endif

/*
 * Pins a pointer computed from a variable offset in a register: otherwise clang may derive the
 * accesses after a bounds check from another base than the one checked, and the verifier, which
 * tracks bounds per derived pointer, rejects them. Nothing natively.
 */
#if defined(__bpf__)
#define AC_BPF_PIN(ptr) __asm__ volatile("" : "+r"(ptr))
#else
#define AC_BPF_PIN(ptr) ((void)0)
#endif

/*
 * Keeps a running sum in order in BPF: clang otherwise loads every byte of an unrolled sum
 * first and spills them, and BPF's stack is 512 bytes for a whole call chain. A compiler
 * barrier, no instruction; nothing natively.
 */
#if defined(__bpf__)
#define AC_BPF_SERIAL(x) __asm__ volatile("" : "+r"(x) : : "memory")
#else
#define AC_BPF_SERIAL(x) ((void)0)
#endif

/*
 * A function the BPF build keeps as a function of its own (a BPF-to-BPF call): its locals get a
 * frame of their own rather than adding to the caller's, and BPF gives the whole program 512
 * bytes of stack, of which NTP's reply and DNS's name pass each want a good part. Natively it is
 * inlined like the rest.
 */
#if defined(__bpf__)
#define AC_BPF_SUBPROG static __attribute__((noinline))
#else
#define AC_BPF_SUBPROG static __always_inline
#endif

#endif /* ANYCASTD_CORE_COMPAT_H */
