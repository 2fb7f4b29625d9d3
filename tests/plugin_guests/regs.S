// regs: prints values it computes, around marker instructions a test plugin watches
// (tests/plugin_cases/regs.c): "mov x9, x9" (the plugin reports x0), "mov x10, x10" (the plugin
// sets x0), "mov x11, x11" (the plugin writes the doubleword at x1 through the MMU).
    .global _start
_start:
    ldr     x20, =0x09000000            // PL011 data register
    mov     x0, #0x1234
    mov     x21, #5
1:  eor     x0, x0, x0, lsl #13         // xorshift64
    eor     x0, x0, x0, lsr #7
    eor     x0, x0, x0, lsl #17
    mov     x9, x9                      // marker: report
    bl      puthex
    subs    x21, x21, #1
    b.ne    1b
    mov     x0, #0
    mov     x10, x10                    // marker: set x0
    bl      puthex
    adr     x1, cell
    mov     x11, x11                    // marker: write [x1]
    ldr     x0, [x1]
    bl      puthex
    mov     x0, #0x0008
    movk    x0, #0x8400, lsl #16        // PSCI SYSTEM_OFF
    hvc     #0
    b       .

puthex:                                 // x0 as 16 hex digits and a newline
    mov     x2, #60
2:  lsr     x3, x0, x2
    and     x3, x3, #0xf
    cmp     x3, #10
    add     x4, x3, #'0'
    add     x5, x3, #('a' - 10)
    csel    x3, x4, x5, lt
    strb    w3, [x20]
    subs    x2, x2, #4
    b.pl    2b
    mov     x3, #'\n'
    strb    w3, [x20]
    ret

    .balign 8
cell:
    .quad   0x5555555555555555
    .ltorg
