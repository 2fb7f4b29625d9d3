// runaway: no vector table (VBAR_EL1 points at unmapped memory), then a jump into unmapped
// memory. The instruction abort goes to the vector at the bad VBAR, which aborts again, and so
// on: an emulator must end this with a one-line report and exit code 1, not hang or crash.
// Not compared with QEMU (which loops forever).

    .section .text.boot, "ax"
    .global _start
_start:
    movz    x1, #0x0900, lsl #16        // PL011: say where we are going first
    adr     x2, message
1:  ldrb    w3, [x2], #1
    cbz     w3, 2f
    str     w3, [x1]
    b       1b
2:  movz    x0, #0x2000, lsl #16        // 0x20000000: no RAM, no device there
    msr     vbar_el1, x0
    isb
    br      x0

message:
    .asciz  "runaway: jumping to 0x20000000\n"
