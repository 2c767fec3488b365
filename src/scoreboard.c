/*
 * scoreboard.c - the shared-memory slot table: one slot per worker, created
 * by the master before the first fork so every worker shares it.  A worker
 * writes only its own slot (state, connections served); the master fills
 * and frees slots and reads the rest.  No lock: each field has one writer.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <string.h>

#include "preforkd.h"

#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS	MAP_ANON
#endif

static const char *const state_names[] = {
	"free", "starting", "idle", "busy", "exiting", "paused",
};

/*
 * scoreboard_create - map room for n slots shared with future children.
 * The mapping starts zeroed and only the pages of slots in use are ever
 * touched: nslots is the high-water mark that every scan stops at.
 */
int
scoreboard_create(struct scoreboard *sb, size_t n)
{
	void *p;

	p = mmap(NULL, n * sizeof(struct slot), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	sb->slots = p;
	sb->nslots = 0;
	sb->capacity = n;
	return 0;
}

void
scoreboard_destroy(struct scoreboard *sb)
{
	if (sb->slots != NULL)
		munmap(sb->slots, sb->capacity * sizeof(struct slot));
	sb->slots = NULL;
	sb->nslots = sb->capacity = 0;
}

/* scoreboard_alloc - a free slot, marked starting; NULL when all are used. */
struct slot *
scoreboard_alloc(struct scoreboard *sb)
{
	size_t i;

	for (i = 0; i < sb->nslots; i++)
		if (sb->slots[i].state == SLOT_FREE)
			break;
	if (i == sb->nslots) {
		if (sb->nslots == sb->capacity) {
			errno = ENOSPC;
			return NULL;
		}
		sb->nslots++;
	}
	memset(&sb->slots[i], 0, sizeof(sb->slots[i]));
	sb->slots[i].state = SLOT_STARTING;
	return &sb->slots[i];
}

/* scoreboard_find - the slot of a live worker pid, or NULL. */
struct slot *
scoreboard_find(struct scoreboard *sb, pid_t pid)
{
	size_t i;

	for (i = 0; i < sb->nslots; i++)
		if (sb->slots[i].state != SLOT_FREE && sb->slots[i].pid == pid)
			return &sb->slots[i];
	return NULL;
}

/*
 * scoreboard_client - the two addresses of the connection a busy worker
 * is serving, as text ("127.0.0.1:7007"), each in a buffer of len bytes.
 */
void
scoreboard_client(const struct slot *slot, char *local, char *remote,
    size_t len)
{
	addr_sockaddr_format((const struct sockaddr *)&slot->local,
	    slot->locallen, local, len);
	addr_sockaddr_format((const struct sockaddr *)&slot->remote,
	    slot->remotelen, remote, len);
}

const char *
scoreboard_state_name(int state)
{
	if (state < 0 || state >= SLOT_STATES)
		return "?";
	return state_names[state];
}
