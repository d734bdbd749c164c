// The deployable accelerator: the stitched dataflow chain (dietsnn_top) with the
// AXI-Stream framing a DMA engine needs (SPEC "Stream formats", batch framing).
//
// * The external streams are AXIS_IN_WIDTH / AXIS_OUT_WIDTH bits wide (a power of
//   two >= 8, as Xilinx AXI DMA requires); the chain's IN_WIDTH / OUT_WIDTH bits
//   sit in the LSBs, the upper input bits are ignored and the upper output bits
//   are zero.
// * Output TLAST mirrors input TLAST: the host sends a batch of whole frames as
//   one transfer ending with TLAST; the output beat that ends the last frame of
//   that batch carries TLAST, so a DMA receive channel completes one transfer
//   per batch. A TLAST in the middle of a frame closes the batch with the frame
//   in progress. Batch lengths wait in a small queue (BATCHES deep); when it is
//   full a TLAST beat is not accepted (TREADY low) until a batch has left, so
//   nothing is dropped.
// * Weights in UltraRAM (dietsnn_top's weights_loaded low): after every reset the
//   first input beats are the weight-load stream (the driver's weights.bin, one
//   transfer ending with TLAST); they are neither counted as frame beats nor
//   answered, and their TLAST closes no batch.
// * NETWORK_ID identifies the network whose parameters are built in (the first
//   32 bits of the SHA-256 of its .snn.npz); it is not used in the logic, the
//   hardware handoff file (.hwh) lists it so a driver can check it.
`default_nettype none

module dietsnn_accel #(
    parameter int unsigned IN_WIDTH = 8,
    parameter int unsigned OUT_WIDTH = 16,
    parameter int unsigned AXIS_IN_WIDTH = 8,
    parameter int unsigned AXIS_OUT_WIDTH = 16,
    parameter int unsigned IN_BEATS = 784,  // input beats per frame
    parameter int unsigned OUT_BEATS = 10,  // output beats per frame
    parameter int unsigned BATCHES = 8,  // batches in flight (a power of two)
    /* verilator lint_off UNUSEDPARAM */  // read from the .hwh by the driver, not by the logic
    parameter logic [31:0] NETWORK_ID = 32'h0
    /* verilator lint_on UNUSEDPARAM */
) (
    input  wire logic                      ap_clk,
    input  wire logic                      ap_rst_n,
    input  wire logic [AXIS_IN_WIDTH-1:0]  s_axis_0_tdata,
    input  wire logic                      s_axis_0_tvalid,
    input  wire logic                      s_axis_0_tlast,
    output wire logic                      s_axis_0_tready,
    output wire logic [AXIS_OUT_WIDTH-1:0] m_axis_0_tdata,
    output wire logic                      m_axis_0_tvalid,
    output wire logic                      m_axis_0_tlast,
    input  wire logic                      m_axis_0_tready
);
    localparam int unsigned QW = $clog2(BATCHES);

    wire logic [OUT_WIDTH-1:0] core_tdata;
    wire logic core_in_ready, core_out_valid, core_loaded;
    logic [31:0] in_beat, in_frames;
    logic [31:0] queue [BATCHES];  // frames per batch, in order
    logic [QW:0] wr, rd;  // one extra bit tells full from empty
    wire logic full = (wr - rd) == (QW + 1)'(BATCHES);
    wire logic empty = wr == rd;

    dietsnn_top core (
        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n),
        .s_axis_0_tdata(s_axis_0_tdata[IN_WIDTH-1:0]),
        .s_axis_0_tvalid(s_axis_0_tvalid && !(core_loaded && s_axis_0_tlast && full)),
        .s_axis_0_tready(core_in_ready),
        .m_axis_0_tdata(core_tdata),
        .m_axis_0_tvalid(core_out_valid),
        .m_axis_0_tready(m_axis_0_tready),
        .weights_loaded(core_loaded)
    );

    // ---- input side: beats of the frame in progress, whole frames of the batch in progress
    wire logic in_fire = s_axis_0_tvalid && s_axis_0_tready && core_loaded;  // a frame beat (not a weight)
    wire logic in_frame_end = in_beat == IN_BEATS - 1;

    assign s_axis_0_tready = core_in_ready && !(core_loaded && s_axis_0_tlast && full);

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            in_beat <= '0;
            in_frames <= '0;
            wr <= '0;
        end else if (in_fire) begin
            in_beat <= in_frame_end ? '0 : in_beat + 1;
            if (s_axis_0_tlast) begin
                // the batch closes with the frame this beat belongs to (normally its last beat)
                queue[wr[QW-1:0]] <= in_frames + 1;
                wr <= wr + 1;
                in_frames <= in_frame_end ? '0 : 32'hFFFF_FFFF;  // the rest of a cut frame is not counted again
            end else if (in_frame_end) begin
                in_frames <= in_frames + 1;
            end
        end
    end

    // ---- output side: beats and frames sent of the batch in progress
    logic [31:0] out_beat, out_frames;
    wire logic out_frame_end = out_beat == OUT_BEATS - 1;
    wire logic batch_end = out_frame_end && !empty && (out_frames + 1 == queue[rd[QW-1:0]]);
    wire logic out_fire = core_out_valid && m_axis_0_tready;

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            out_beat <= '0;
            out_frames <= '0;
            rd <= '0;
        end else if (out_fire) begin
            out_beat <= out_frame_end ? '0 : out_beat + 1;
            if (batch_end) begin
                out_frames <= '0;
                rd <= rd + 1;
            end else if (out_frame_end) begin
                out_frames <= out_frames + 1;
            end
        end
    end

    assign m_axis_0_tdata = AXIS_OUT_WIDTH'(core_tdata);
    assign m_axis_0_tvalid = core_out_valid;
    assign m_axis_0_tlast = batch_end;

    if (AXIS_IN_WIDTH > IN_WIDTH) begin : g_unused_in
        wire logic unused_in = &{1'b0, s_axis_0_tdata[AXIS_IN_WIDTH-1:IN_WIDTH]};
    end
    if (BATCHES < 2 || (1 << QW) != BATCHES) begin : g_check
        $error("dietsnn_accel: BATCHES must be a power of two >= 2");
    end
endmodule

`default_nettype wire
