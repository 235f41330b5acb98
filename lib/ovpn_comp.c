/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compression framing (constants of OpenVPN src/openvpn/comp.h), mirroring
 * OpenVPN 2.6 compstub.c and the header byte checks of lzo.c; see
 * ovpn_comp.h for the table.
 */
#include "ovpn_comp.h"

static int strip_lzo(const uint8_t *p, size_t *off)
{
	switch (p[0]) {
	case OVPN_COMP_NO_COMPRESS:
		*off = 1;
		return 0;
	case OVPN_COMP_LZO_BYTE:
		return OVPN_DATA_ERR_LZO;
	default:
		return OVPN_DATA_ERR_COMP_FRAMING;
	}
}

/* v1 swap: the sender replaced byte 0 with 0xFB and appended the original
 * byte 0; put it back and drop the last byte. */
static int strip_swap(uint8_t *p, size_t len)
{
	if (p[0] == OVPN_COMP_LZ4_BYTE)
		return OVPN_DATA_ERR_COMPRESSED;
	if (p[0] != OVPN_COMP_NO_COMPRESS_SWAP)
		return OVPN_DATA_ERR_COMP_FRAMING;
	p[0] = p[len - 1];
	return 0;
}

static int strip_v2(const uint8_t *p, size_t len, size_t *off)
{
	if (p[0] != OVPN_COMP_V2_INDICATOR)
		return 0;		/* plain payload, the common case */
	if (len < 2)
		return OVPN_DATA_ERR_COMP_FRAMING;
	switch (p[1]) {
	case OVPN_COMP_V2_UNCOMPRESSED:
		*off = 2;
		return 0;
	case OVPN_COMP_V2_LZO:
		return OVPN_DATA_ERR_LZO;
	case OVPN_COMP_V2_LZ4:
	case OVPN_COMP_V2_SNAPPY:
		return OVPN_DATA_ERR_COMPRESSED;
	default:
		return OVPN_DATA_ERR_COMP_FRAMING;
	}
}

/* The argument checks strip and frame share: an error, 1 when there is
 * nothing to do (no framing, or an empty payload), else 0. */
static int check_args(enum ovpn_comp_mode mode, size_t len)
{
	if ((unsigned int)mode > OVPN_COMP_STUB_V2)
		return OVPN_DATA_ERR_INVAL;
	if (len > OVPN_DATA_MAX_LEN)
		return OVPN_DATA_ERR_TOO_LONG;
	return mode == OVPN_COMP_NONE || len == 0;
}

int ovpn_comp_strip(enum ovpn_comp_mode mode, uint8_t *p, size_t len, size_t *off)
{
	int rc;

	*off = 0;
	rc = check_args(mode, len);
	if (rc != 0)
		return rc < 0 ? rc : (int)len;
	switch (mode) {
	case OVPN_COMP_LZO:
		rc = strip_lzo(p, off);
		break;
	case OVPN_COMP_STUB:
		rc = strip_swap(p, len);
		len--;
		break;
	default:
		rc = strip_v2(p, len, off);
		break;
	}
	return rc < 0 ? rc : (int)(len - *off);
}

int ovpn_comp_frame(enum ovpn_comp_mode mode, uint8_t *p, size_t len,
		    size_t headroom, size_t tailroom, size_t *head)
{
	int rc;

	*head = 0;
	rc = check_args(mode, len);
	if (rc != 0)
		return rc < 0 ? rc : (int)len;
	if (mode == OVPN_COMP_LZO) {
		if (headroom < 1)
			return OVPN_DATA_ERR_NOSPACE;
		p[-1] = OVPN_COMP_NO_COMPRESS;
		*head = 1;
		return (int)len + 1;
	}
	if (mode == OVPN_COMP_STUB) {
		if (tailroom < 1)
			return OVPN_DATA_ERR_NOSPACE;
		p[len] = p[0];
		p[0] = OVPN_COMP_NO_COMPRESS_SWAP;
		return (int)len + 1;
	}
	if (p[0] != OVPN_COMP_V2_INDICATOR)
		return (int)len;
	if (headroom < 2)
		return OVPN_DATA_ERR_NOSPACE;
	p[-2] = OVPN_COMP_V2_INDICATOR;
	p[-1] = OVPN_COMP_V2_UNCOMPRESSED;
	*head = 2;
	return (int)len + 2;
}
