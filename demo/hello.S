// hello: the demo guest bundled with qemu_py. A bare-metal AArch64 program for QEMU's virt
// board: it prints a greeting through the PL011 UART and powers the machine off with PSCI
// SYSTEM_OFF over HVC (virt's PSCI conduit when the guest runs at EL1 without EL2).
//
// Build: make -C demo (needs binutils-aarch64-linux-gnu); hello.elf is committed prebuilt.

    .equ UART_BASE,        0x09000000
    .equ UART_FR,          0x18          // flag register
    .equ UART_FR_TXFF,     5             // bit: transmit FIFO full
    .equ PSCI_SYSTEM_OFF,  0x84000008

    .text
    .global _start
_start:
    movz    x1, #(UART_BASE >> 16), lsl #16
    adr     x2, greeting
next_char:
    ldrb    w3, [x2], #1
    cbz     w3, power_off
wait_tx:
    ldr     w4, [x1, #UART_FR]
    tbnz    w4, #UART_FR_TXFF, wait_tx
    str     w3, [x1]
    b       next_char

power_off:
    movz    w0, #(PSCI_SYSTEM_OFF >> 16), lsl #16
    movk    w0, #(PSCI_SYSTEM_OFF & 0xffff)
    hvc     #0
halt:                                    // SYSTEM_OFF does not return
    wfi
    b       halt

    .section .rodata
greeting:
    .asciz  "Hello from the qemu_py demo guest!\n"
