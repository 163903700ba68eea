#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/seed-*): well-formed
# inputs that reach deep into each target, plus the attack shapes of docs/security.md. The input
# formats are described at the top of each fuzz-*.c. Run: tests/fuzz/gen-corpus.py [OUTDIR]
import json
import os
import struct
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')

# NVMe opcodes
IO_FLUSH, IO_WRITE, IO_READ, IO_COMPARE, IO_WZ, IO_DSM = 0x00, 0x01, 0x02, 0x05, 0x08, 0x09
A_DEL_SQ, A_CRT_SQ, A_GET_LOG, A_DEL_CQ, A_CRT_CQ, A_IDENTIFY = 0x00, 0x01, 0x02, 0x04, 0x05, 0x06
A_ABORT, A_SET_FEAT, A_GET_FEAT, A_AER, A_NS_MGMT, A_FW_COMMIT, A_FW_DL = 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x10, 0x11
A_NS_ATTACH, A_KEEP_ALIVE, A_VIRT_MGMT, A_FORMAT, A_SEC_SEND, A_SEC_RECV, A_SANITIZE = 0x15, 0x18, 0x1c, 0x80, 0x81, 0x82, 0x84


def sqe(opcode, cid=1, nsid=1, flags=0, mptr=0, prp1=0, prp2=0, cdw=(0, 0, 0, 0, 0, 0)):
    return struct.pack('<BBHIIIQQQ6I', opcode, flags, cid, nsid, 0, 0, mptr, prp1, prp2, *cdw)


def rw(opcode, slba, nlb, prp1, prp2=0, cid=1, nsid=1, flags=0, cdw12_extra=0):
    return sqe(opcode, cid=cid, nsid=nsid, flags=flags, prp1=prp1, prp2=prp2,
               cdw=(slba & 0xffffffff, slba >> 32, (nlb - 1) | cdw12_extra, 0, 0, 0))


def patch(off, data, sel=0):
    return struct.pack('<BHH', sel, off, len(data)) + data


def prp_list(entries):
    return b''.join(struct.pack('<Q', e) for e in entries)


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'seed-' + name), 'wb') as f:
        f.write(data)


# ---- fuzz-sqe: [shift sel][max_xfer sel][slots][extent sel] SQE patches -------------------------
def sqe_seed(name, cmd, patches=b'', cfg=(1, 0, 3, 0)):
    write('sqe', name, bytes(cfg) + cmd + patches)


sqe_seed('read-1page', rw(IO_READ, 0, 1, 0x1000))
sqe_seed('write-2pages', rw(IO_WRITE, 8, 2, 0x2000, 0x3000))
sqe_seed('read-offset-2pages', rw(IO_READ, 8, 1, 0x1200, 0x3000))
sqe_seed('read-512b-sectors', rw(IO_READ, 100, 8, 0x1000), cfg=(0, 0, 3, 0))
sqe_seed('read-prplist-32', rw(IO_READ, 64, 32, 0x1000, 0x8000),
         patch(0x8000, prp_list([0x1000 * (i % 15 + 1) for i in range(31)])))
sqe_seed('write-prplist-chained', rw(IO_WRITE, 64, 8, 0x1000, 0x8fe0),
         patch(0x8fe0, prp_list([0x2000, 0x3000, 0x4000, 0x9000])) +
         patch(0x9000, prp_list([0x5000, 0x6000, 0x7000, 0xa000])))
sqe_seed('write-prplist-readonly-src', rw(IO_WRITE, 0, 4, 0x40000, 0x40800),
         patch(0x0800, prp_list([0x41000, 0x42000, 0x43000]), sel=1))
sqe_seed('read-into-readonly', rw(IO_READ, 0, 1, 0x40000))
sqe_seed('read-into-rom', rw(IO_READ, 0, 1, 0x20000))
sqe_seed('read-outside-window', rw(IO_READ, 0, 1, 0x100000000))
sqe_seed('read-prp2-unaligned', rw(IO_READ, 0, 2, 0x1000, 0x2004))
sqe_seed('read-prplist-loop', rw(IO_READ, 0, 64, 0x1000, 0x8ff8),
         patch(0x8ff8, prp_list([0x8ff8])))
sqe_seed('read-prplist-entry-out', rw(IO_READ, 0, 3, 0x1000, 0x8000),
         patch(0x8000, prp_list([0x2000, 0xfffffffffffff000])))
sqe_seed('read-lba-wrap', rw(IO_READ, 0xffffffffffffffff, 2, 0x1000))
sqe_seed('read-lba-past-extent', rw(IO_READ, 262143, 2, 0x1000, 0x2000))
sqe_seed('read-too-long', rw(IO_READ, 0, 0x10000, 0x1000, 0x8000), cfg=(0, 3, 3, 0))
sqe_seed('read-foreign-nsid', rw(IO_READ, 0, 1, 0x1000, nsid=2))
sqe_seed('read-broadcast-nsid', rw(IO_READ, 0, 1, 0x1000, nsid=0xffffffff))
sqe_seed('read-sgl', rw(IO_READ, 0, 1, 0x1000, flags=0x40))
sqe_seed('read-fused', rw(IO_READ, 0, 1, 0x1000, flags=0x1))
sqe_seed('read-pi', rw(IO_READ, 0, 1, 0x1000, cdw12_extra=0xf << 26))
sqe_seed('read-metadata-ptr', sqe(IO_READ, mptr=0x5000, prp1=0x1000))
sqe_seed('compare', rw(IO_COMPARE, 0, 1, 0x1000))
sqe_seed('write-zeroes', rw(IO_WZ, 0, 0x100, 0, cdw12_extra=1 << 25))
sqe_seed('flush-broadcast', sqe(IO_FLUSH, nsid=0xffffffff))
sqe_seed('dsm-2ranges', sqe(IO_DSM, prp1=0x4000, cdw=(1, 4, 0, 0, 0, 0)),
         patch(0x4000, struct.pack('<IIQIIQ', 0, 8, 16, 0, 8, 262136)))
sqe_seed('dsm-range-out', sqe(IO_DSM, prp1=0x4ff0, prp2=0x5000, cdw=(1, 4, 0, 0, 0, 0)),
         patch(0x4ff0, struct.pack('<IIQIIQ', 0, 8, 16, 0, 8, 262140)))
sqe_seed('dsm-256ranges', sqe(IO_DSM, prp1=0x4000, cdw=(255, 4, 0, 0, 0, 0)),
         patch(0x4000, struct.pack('<IIQ', 0, 1, 7) * 256))
sqe_seed('vendor-opcode', rw(0x80, 0, 1, 0x1000))
sqe_seed('max-transfer-list', rw(IO_READ, 0, 512, 0x1000, 0x8000), patch(0x8000, prp_list([0x1000] * 511)),
         cfg=(1, 2, 3, 0))


# ---- fuzz-admin: [flbas][oncs] program ----------------------------------------------------------
def op_exec(cmd):
    return b'\x00' + cmd


def op_patch(off, data):
    return b'\x01' + patch(off, data)


def op_bringup(aqa=0x003f003f, asq=0x1000, acq=0x2000):
    return b'\x02' + struct.pack('<IQQ', aqa, asq, acq)


def op_sq_tail(v):
    return b'\x03' + struct.pack('<H', v)


def op_cq_head(v):
    return b'\x04' + struct.pack('<H', v)


def op_reg(off, size_sel, value):
    return b'\x05' + struct.pack('<HBQ', off, size_sel, value)


def admin_seed(name, program, flbas=0, oncs=0xff):
    write('admin', name, bytes([flbas, oncs]) + program)


def create_cq(qid, prp1, entries=16, vector=1, ien=True, cid=10):
    return sqe(A_CRT_CQ, cid=cid, nsid=0, prp1=prp1,
               cdw=(qid | ((entries - 1) << 16), 1 | (2 if ien else 0) | (vector << 16), 0, 0, 0, 0))


def create_sq(qid, cqid, prp1, entries=16, cid=11):
    return sqe(A_CRT_SQ, cid=cid, nsid=0, prp1=prp1, cdw=(qid | ((entries - 1) << 16), 1 | (cqid << 16), 0, 0, 0, 0))


identify_ctrl = sqe(A_IDENTIFY, nsid=0, prp1=0x3000, cdw=(1, 0, 0, 0, 0, 0))
identify_ns = sqe(A_IDENTIFY, nsid=1, prp1=0x3000, cdw=(0, 0, 0, 0, 0, 0))
ring = [identify_ctrl, identify_ns,
        sqe(A_IDENTIFY, nsid=0, prp1=0x3000, cdw=(2, 0, 0, 0, 0, 0)),
        sqe(A_IDENTIFY, nsid=1, prp1=0x3000, cdw=(3, 0, 0, 0, 0, 0)),
        sqe(A_SET_FEAT, nsid=0, cdw=(0x07, 0x00030003, 0, 0, 0, 0)),
        create_cq(1, 0x4000), create_sq(1, 1, 0x5000),
        sqe(A_GET_LOG, nsid=0xffffffff, prp1=0x3000, cdw=(0x02 | (127 << 16), 0, 0, 0, 0, 0)),
        sqe(A_AER, cid=20, nsid=0), sqe(A_KEEP_ALIVE, nsid=0),
        sqe(A_ABORT, nsid=0, cdw=(1 | (5 << 16), 0, 0, 0, 0, 0))]
admin_seed('bringup-ring', op_bringup() + op_patch(0x1000, b''.join(ring)) + op_sq_tail(len(ring)) +
           op_cq_head(len(ring) - 1) + op_reg(0x1008, 2, 1) + b'\x07')
admin_seed('identify-ctrl', op_exec(identify_ctrl))
admin_seed('identify-ns-all', op_exec(sqe(A_IDENTIFY, nsid=0xffffffff, prp1=0x3000)))
admin_seed('identify-desc', op_exec(sqe(A_IDENTIFY, nsid=1, prp1=0x3ff0, prp2=0x4000, cdw=(3, 0, 0, 0, 0, 0))))
admin_seed('identify-csi', op_exec(sqe(A_IDENTIFY, nsid=1, prp1=0x3000, cdw=(5, 0, 0, 0, 0, 0))) +
           op_exec(sqe(A_IDENTIFY, nsid=1, prp1=0x3000, cdw=(6, 0, 0, 0, 0, 0))))
admin_seed('get-log-prplist', op_patch(0x6000, prp_list([0x7000 + 0x1000 * i for i in range(8)])) +
           op_exec(sqe(A_GET_LOG, nsid=0, prp1=0x3000, prp2=0x6000, cdw=(0x05 | (0x3fff << 16), 0, 0, 0, 0, 0))))
admin_seed('get-log-chained', op_patch(0x6fe0, prp_list([0x7000, 0x8000, 0x9000, 0xa000])) +
           op_patch(0xa000, prp_list([0xb000 + 0x1000 * i for i in range(4)])) +
           op_exec(sqe(A_GET_LOG, nsid=0, prp1=0x3000, prp2=0x6fe0, cdw=(0x05 | (0x1fff << 16), 0, 0, 0, 0, 0))))
admin_seed('get-log-chain-unaligned', op_patch(0x6fe0, prp_list([0x7000, 0x8000, 0x9000, 0xaffc])) +
           op_exec(sqe(A_GET_LOG, nsid=0, prp1=0x3000, prp2=0x6fe0, cdw=(0x05 | (0x3fff << 16), 0, 0, 0, 0, 0))))
admin_seed('get-log-offset', op_exec(sqe(A_GET_LOG, nsid=0, prp1=0x3000, cdw=(0x02 | (15 << 16), 0, 508, 0, 0, 0))))
admin_seed('get-log-error-rae', op_exec(sqe(A_GET_LOG, nsid=0, prp1=0x3000, cdw=(0x01 | (1 << 15) | (15 << 16), 0, 0, 0, 0, 0))))
admin_seed('queues', op_exec(create_cq(1, 0x4000)) + op_exec(create_sq(1, 1, 0x5000)) +
           op_exec(create_cq(2, 0x6000, vector=4)) + op_exec(create_sq(2, 2, 0xf000, entries=64)) +
           op_exec(sqe(A_DEL_SQ, nsid=0, cdw=(1, 0, 0, 0, 0, 0))) + op_exec(sqe(A_DEL_CQ, nsid=0, cdw=(1, 0, 0, 0, 0, 0))))
admin_seed('queues-bad', op_exec(create_cq(0, 0x4000)) + op_exec(create_cq(5, 0x4000)) +
           op_exec(create_cq(1, 0x4000, entries=1)) + op_exec(create_cq(1, 0xffff000)) +
           op_exec(create_cq(1, 0x40000)) + op_exec(create_cq(1, 0x4000, vector=9)) +
           op_exec(create_cq(1, 0x4000)) + op_exec(create_sq(1, 1, 0x20000)) +
           op_exec(create_sq(1, 2, 0x5000)) + op_exec(create_sq(2, 1, 0x5000)) +
           op_exec(sqe(A_DEL_CQ, nsid=0, cdw=(1, 0, 0, 0, 0, 0))) + b'\x06\x06\x40' + op_exec(create_sq(1, 1, 0x5000)))
admin_seed('features', b''.join(op_exec(sqe(A_SET_FEAT, nsid=0, cdw=(fid, 1, 0, 0, 0, 0))) for fid in range(0, 0x20)) +
           b''.join(op_exec(sqe(A_GET_FEAT, nsid=0, prp1=0x3000, cdw=(fid | (sel << 8), 1, 0, 0, 0, 0)))
                    for fid in (1, 2, 4, 5, 6, 7, 8, 9, 0xa, 0xb, 0xe, 0xf) for sel in range(5)))
admin_seed('timestamp', op_patch(0x3000, b'\x01\x02\x03\x04\x05\x06\x00\x00') +
           op_exec(sqe(A_SET_FEAT, nsid=0, prp1=0x3000, cdw=(0x0e, 0, 0, 0, 0, 0))) +
           op_exec(sqe(A_GET_FEAT, nsid=0, prp1=0x3ffc, prp2=0x4000, cdw=(0x0e, 0, 0, 0, 0, 0))))
admin_seed('dangerous', b''.join(op_exec(sqe(op, nsid=1, prp1=0x3000, cdw=(1, 1, 1, 1, 0, 0)))
                                 for op in (A_FORMAT, A_SANITIZE, A_FW_DL, A_FW_COMMIT, A_NS_MGMT, A_NS_ATTACH,
                                            A_SEC_SEND, A_SEC_RECV, A_VIRT_MGMT, 0x7c, 0x14, 0x19, 0x1a,
                                            0x1d, 0x1e, 0x86, 0xc0, 0xff)))
admin_seed('aer-flood', op_bringup() + op_patch(0x1000, b''.join(sqe(A_AER, cid=i, nsid=0) for i in range(8))) +
           op_sq_tail(8) + op_reg(0x1010, 2, 1) + op_reg(0x2000, 2, 1) + op_cq_head(3))
admin_seed('ring-unreachable', op_bringup(asq=0x20000, acq=0x2000) + op_sq_tail(1))
admin_seed('cq-full', op_bringup(aqa=0x00010001) + op_patch(0x1000, identify_ctrl * 2) + op_sq_tail(1) +
           op_sq_tail(0) + op_cq_head(1))
admin_seed('fused-sgl', op_exec(sqe(A_IDENTIFY, flags=0x41, nsid=0, prp1=0x3000, cdw=(1, 0, 0, 0, 0, 0))))


# ---- fuzz-vfu: [u16 image len][image] records [ctl][u16 len][stream] ----------------------------
VERSION, DMA_MAP, DMA_UNMAP, GET_INFO, GET_REGION_INFO, GET_IO_FDS, GET_IRQ_INFO, SET_IRQS = 1, 2, 3, 4, 5, 6, 7, 8
REGION_READ, REGION_WRITE, DMA_READ, DMA_WRITE, RESET = 9, 10, 11, 12, 13
NO_REPLY = 0x10
BAR0, BAR4, CONFIG = 0, 4, 7
_mid = [0]


def msg(cmd, payload=b'', flags=0, size=None):
    _mid[0] += 1
    return struct.pack('<HHIII', _mid[0] & 0xffff, cmd, 16 + len(payload) if size is None else size, flags, 0) + payload


def rec(stream, n_fds=0, kind0=0, kind1=0, half_close=False, no_pump=False):
    ctl = n_fds | (kind0 << 2) | (kind1 << 4) | (0x40 if half_close else 0) | (0x80 if no_pump else 0)
    return struct.pack('<BH', ctl, len(stream)) + stream


CAPS = json.dumps({'capabilities': {'max_msg_fds': 16, 'max_data_xfer_size': 1048576, 'pgsizes': 4096,
                                    'max_dma_maps': 65535, 'migration': {'pgsize': 4096}}}).encode() + b'\0'


def version(caps=CAPS):
    return msg(VERSION, struct.pack('<HH', 0, 0) + caps)


def dma_map(iova, size, flags=3, offset=0):
    return msg(DMA_MAP, struct.pack('<IIQQQ', 32, flags, offset, iova, size))


def dma_unmap(iova, size, flags=0):
    return msg(DMA_UNMAP, struct.pack('<IIQQ', 24, flags, iova, size))


def region_rw(cmd, region, offset, data=b'', count=None, flags=0):
    return msg(cmd, struct.pack('<QII', offset, region, len(data) if count is None else count) + data, flags=flags)


def bar0_write(offset, value, width=4, posted=False):
    return region_rw(REGION_WRITE, BAR0, offset, value.to_bytes(width, 'little'), flags=NO_REPLY if posted else 0)


def set_irqs(flags, index, start, count, extra=b''):
    return msg(SET_IRQS, struct.pack('<IIIII', 20, flags, index, start, count) + extra)


IRQ_DATA_NONE, IRQ_DATA_BOOL, IRQ_DATA_EVENTFD = 1, 2, 4
IRQ_MASK, IRQ_UNMASK, IRQ_TRIGGER = 8, 16, 32
MSIX = 2


def vfu_seed(name, records, image=b''):
    write('vfu', name, struct.pack('<H', len(image)) + image + b''.join(records))


# guest RAM from GPA 0x1000 (the memfd's offset 0): the admin SQ at 0x1000 holds three commands
image = identify_ctrl + sqe(A_AER, cid=7, nsid=0) + create_cq(1, 0x3000, vector=1)
hello = [rec(version()), rec(dma_map(0x1000, 0x10000), n_fds=1, kind0=0)]
bringup = [rec(bar0_write(0x24, 0x003f003f)), rec(bar0_write(0x28, 0x1000, 8)), rec(bar0_write(0x30, 0x2000, 8)),
           rec(bar0_write(0x14, 0x00460001)), rec(region_rw(REGION_READ, BAR0, 0x1c, count=4))]
vfu_seed('discovery', [rec(version()), rec(msg(GET_INFO, struct.pack('<IIII', 16, 0, 0, 0)))] +
         [rec(msg(GET_REGION_INFO, struct.pack('<IIIIQQ', 32, 0, i, 0, 0, 0))) for i in range(10)] +
         [rec(msg(GET_IRQ_INFO, struct.pack('<IIII', 16, 0, i, 0))) for i in range(6)] +
         [rec(region_rw(REGION_READ, CONFIG, 0, count=256)), rec(region_rw(REGION_WRITE, CONFIG, 4, b'\x06\x04')),
          rec(region_rw(REGION_WRITE, CONFIG, 0x10, b'\xff' * 24)), rec(region_rw(REGION_READ, CONFIG, 0x10, count=24)),
          rec(region_rw(REGION_READ, BAR4, 0, count=16)), rec(region_rw(REGION_READ, BAR4, 0x1000, count=8))])
vfu_seed('admin-doorbell', hello + bringup +
         [rec(set_irqs(IRQ_DATA_EVENTFD | IRQ_TRIGGER, MSIX, 0, 1), n_fds=1, kind0=1),
          rec(bar0_write(0x1000, 3, posted=True)), rec(bar0_write(0x1004, 2, posted=True)),
          rec(set_irqs(IRQ_DATA_BOOL | IRQ_MASK, MSIX, 0, 2, b'\x01\x01')),
          rec(region_rw(REGION_READ, BAR4, 0x1000, count=8)),
          rec(set_irqs(IRQ_DATA_NONE | IRQ_UNMASK, MSIX, 0, 1)),
          rec(dma_unmap(0x1000, 0x10000)), rec(bar0_write(0x1000, 0, posted=True)),
          rec(bar0_write(0x14, 0)), rec(msg(RESET))], image=image)
vfu_seed('dma-rounds', [rec(version())] +
         [rec(dma_map(0x100000 * i, 0x10000), n_fds=1) for i in range(4)] +
         [rec(dma_map(0xc0000, 0x20000, flags=1)), rec(dma_map(0x8000, 0x8000), n_fds=1),
          rec(dma_map(0x1000000, 0x20000), n_fds=1, kind0=0), rec(dma_map(0x2000000, 0x1000, offset=0xf000), n_fds=1),
          rec(dma_map(0x3000000, 0x1000), n_fds=1, kind0=2), rec(dma_map(0x4000000, 0x1000), n_fds=2),
          rec(dma_unmap(0x100000, 0x100000)), rec(dma_unmap(0x100000, 0x200000)), rec(dma_unmap(0x105000, 0x1000)),
          rec(dma_unmap(0, 0, flags=2)), rec(dma_unmap(0, 0x10000)),
          rec(dma_map(0xfffffffffffff000, 0x2000), n_fds=1)])
vfu_seed('irqs', [rec(version())] +
         [rec(set_irqs(IRQ_DATA_EVENTFD | IRQ_TRIGGER, MSIX, 0, 3), n_fds=3, kind0=1, kind1=1),
          rec(set_irqs(IRQ_DATA_EVENTFD | IRQ_TRIGGER, MSIX, 2, 1), n_fds=1, kind0=2),
          rec(set_irqs(IRQ_DATA_EVENTFD | IRQ_TRIGGER, MSIX, 2, 2), n_fds=2, kind0=1, kind1=1),
          rec(set_irqs(IRQ_DATA_BOOL | IRQ_TRIGGER, MSIX, 0, 3, b'\x01\x00\x01')),
          rec(set_irqs(IRQ_DATA_EVENTFD | IRQ_MASK, MSIX, 0, 1), n_fds=1, kind0=1),
          rec(set_irqs(IRQ_DATA_NONE | IRQ_TRIGGER, MSIX, 0, 0)),
          rec(set_irqs(IRQ_DATA_NONE | IRQ_TRIGGER, 3, 0, 1)), rec(set_irqs(IRQ_DATA_NONE | IRQ_TRIGGER, 9, 0, 1)),
          rec(set_irqs(IRQ_DATA_BOOL | IRQ_DATA_NONE | IRQ_TRIGGER, MSIX, 0xffffffff, 2))])
vfu_seed('malformed', [rec(msg(GET_INFO, struct.pack('<IIII', 16, 0, 0, 0))),   # before VERSION
                       rec(version(b'{"capabilities":{"pgsizes":"x"}}\0')), rec(version(b'not json\0')),
                       rec(version(b'{}')), rec(msg(VERSION, b'\x01\x00\x00\x00')), rec(version()), rec(version()),
                       rec(msg(99)), rec(msg(GET_IO_FDS)), rec(msg(DMA_READ)), rec(msg(GET_INFO, flags=0x21)),
                       rec(msg(GET_INFO, flags=0x100)), rec(msg(GET_INFO, b'\0' * 4)),
                       rec(region_rw(REGION_READ, BAR0, 0x3ffc, count=8)), rec(region_rw(REGION_READ, 12, 0, count=4)),
                       rec(region_rw(REGION_READ, BAR0, 0, count=0x100000)), rec(region_rw(REGION_WRITE, BAR0, 0, b'\0' * 3)),
                       rec(region_rw(REGION_WRITE, CONFIG, 0xffffffffffffff00, b'\0' * 4)),
                       rec(region_rw(REGION_WRITE, BAR0, 0, b'\0' * 4, count=9)),
                       rec(msg(GET_INFO, size=0x7fffffff) + b'\0' * 64),
                       rec(msg(GET_INFO, size=8), half_close=True)])
vfu_seed('split-and-eof', [rec(version()[:7], no_pump=True), rec(version()[7:]),
                           rec(dma_map(0, 0x10000)[:20], n_fds=1), rec(dma_map(0, 0x10000)[20:]),
                           rec(msg(GET_INFO, struct.pack('<IIII', 16, 0, 0, 0))[:10], half_close=True)])
vfu_seed('fd-flood', [rec(version())] + [rec(msg(GET_INFO, struct.pack('<IIII', 16, 0, 0, 0)), n_fds=3, kind0=1, kind1=0)
                                         for _ in range(4)] + [rec(b'', n_fds=3, kind0=2, kind1=2)])


# ---- fuzz-slice: [mode][u16 image len][image] records (as fuzz-vfu) ----------------------------
# Guest RAM at GPA 0x1000.. (memfd offset 0): admin SQ 0x1000, admin CQ 0x2000, I/O CQ 1 0x3000,
# I/O SQ 1 0x4000 (16 entries), a PRP list at 0x4400; data pages from 0x6000.
def slice_seed(name, records, image, trusted=False):
    write('slice', name, bytes([1 if trusted else 0]) + struct.pack('<H', len(image)) + image + b''.join(records))


def slice_image(io_cmds, lists=()):
    img = bytearray(0x3500)
    admin = create_cq(1, 0x3000, vector=1) + create_sq(1, 1, 0x4000)
    img[0:len(admin)] = admin
    io = b''.join(io_cmds)
    img[0x3000:0x3000 + len(io)] = io
    for off, entries in lists:
        img[off - 0x1000:off - 0x1000 + 8 * len(entries)] = prp_list(entries)
    return bytes(img)


slice_up = [rec(version()), rec(dma_map(0x1000, 0x10000), n_fds=1),
            rec(set_irqs(IRQ_DATA_EVENTFD | IRQ_TRIGGER, MSIX, 0, 2), n_fds=2, kind0=1, kind1=1),
            rec(region_rw(REGION_WRITE, CONFIG, 4, b'\x06\x04')),
            rec(bar0_write(0x24, 0x000f000f)), rec(bar0_write(0x28, 0x1000, 8)), rec(bar0_write(0x30, 0x2000, 8)),
            rec(bar0_write(0x14, 0x00460001)), rec(bar0_write(0x1000, 2, posted=True))]
io_basic = [rw(IO_READ, 0, 8, 0x6000, cid=1), rw(IO_WRITE, 8, 16, 0x7000, 0x8000, cid=2),
            rw(IO_READ, 64, 24, 0x6000, 0x4400, cid=3), sqe(IO_FLUSH, cid=4),
            sqe(IO_DSM, cid=5, prp1=0x4480, cdw=(0, 4, 0, 0, 0, 0)), rw(IO_WZ, 100, 8, 0, cid=6)]
img_basic = slice_image(io_basic, [(0x4400, [0x9000, 0xa000]), (0x4480, [0x800000000, 16])])
slice_seed('strict-io', slice_up + [rec(bar0_write(0x1008, 6, posted=True)), rec(bar0_write(0x100c, 3, posted=True)),
                                    rec(bar0_write(0x14, 0)), rec(msg(RESET))], img_basic)
slice_seed('trusted-io', slice_up + [rec(bar0_write(0x1008, 6, posted=True))], img_basic, trusted=True)
slice_seed('unmap-live-queues', slice_up + [rec(bar0_write(0x1008, 3, posted=True)), rec(dma_unmap(0x1000, 0x10000)),
                                            rec(bar0_write(0x1008, 4, posted=True))], img_basic)
slice_seed('disconnect-mid-io', slice_up + [rec(bar0_write(0x1008, 5, posted=True), half_close=True)], img_basic)
slice_seed('hostile-io', slice_up + [rec(bar0_write(0x1008, 6, posted=True))],
           slice_image([rw(IO_READ, 99990, 32, 0x6000, cid=1), rw(IO_READ, 0, 8, 0x40000, cid=2),
                        rw(IO_WRITE, 0, 24, 0x6000, 0x4400, cid=3), rw(0x81, 0, 8, 0x6000, cid=4),
                        rw(IO_READ, 0, 8, 0x6000, nsid=2, cid=5), rw(IO_READ, 0, 8, 0x6000, flags=0x40, cid=6)],
                       [(0x4400, [0x9000, 0x7ffff0000000])]))
