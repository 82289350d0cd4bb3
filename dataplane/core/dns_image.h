/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a compiled DNS answer table image (abi.h, struct ac_dns_table) in place: the lookups
 * of every native user (the DPDK datapath, the slow path server, the tests). The BPF side reads
 * the same content from maps instead. The image is trusted: control compiled and checked it.
 */
#ifndef ANYCASTD_CORE_DNS_IMAGE_H
#define ANYCASTD_CORE_DNS_IMAGE_H

#include "abi.h"
#include "compat.h"

#if !defined(__bpf__)

/* Where probing for a key starts: the name hash is already uniform, the type spreads a name's entries. */
static inline __u32 ac_dns_slot_index(const struct ac_dns_key *key, __u32 slot_count)
{
	__u64 h = key->hash ^ ((__u64)key->qtype * 0x9E3779B97F4A7C15ULL) ^ key->name_len;
	return (__u32)(h ^ (h >> 32)) & (slot_count - 1);
}

static inline const struct ac_dns_slot *ac_dns_image_slots(const struct ac_dns_table *t)
{
	return (const struct ac_dns_slot *)((const __u8 *)t + t->slots);
}

static inline const struct ac_dns_entry *ac_dns_image_find(const struct ac_dns_table *t, const struct ac_dns_key *key)
{
	const struct ac_dns_slot *slots = ac_dns_image_slots(t);
	__u32 mask = t->slot_count - 1;
	for (__u32 i = ac_dns_slot_index(key, t->slot_count), probes = 0; probes < t->slot_count;
	     i = (i + 1) & mask, probes++) {
		const struct ac_dns_slot *s = &slots[i];
		if (s->key.name_len == 0)
			return 0;
		if (s->key.hash == key->hash && s->key.qtype == key->qtype && s->key.name_len == key->name_len)
			return &s->entry;
	}
	return 0;
}

static inline const struct ac_dns_zone *ac_dns_image_zone(const struct ac_dns_table *t, __u32 zone)
{
	if (zone >= t->zone_count)
		return 0;
	return (const struct ac_dns_zone *)((const __u8 *)t + t->zones) + zone;
}

static inline const struct ac_dns_answer *ac_dns_image_answer(const struct ac_dns_table *t, __u32 offset)
{
	if (offset >= t->arena_size)
		return 0;
	return (const struct ac_dns_answer *)((const __u8 *)t + t->arena + offset);
}

#endif
#endif /* ANYCASTD_CORE_DNS_IMAGE_H */
