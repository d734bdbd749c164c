// Matrix-vector unit fused with the integer LIF neuron of SPEC section 3
// (MODE 0: image input, MODE 1: spike-word input) or with the non-spiking
// output accumulator (MODE 2).
//
// Per input vector of MW elements (SIMD per beat, element 0 in the LSBs) and
// for each neuron fold nf (PE output channels) it accumulates, over the MW/SIMD
// synapse folds, a[t] = sum_i W[i][c] * in_i[t] for every timestep t at once:
// a spike word's bit t gates the weight (no multipliers); an image pixel is
// multiplied once and the product integrated T times. After the last fold:
//   MODE 0/1: u[t] = leak_k(u[t-1]) + a[t] + b[c] - theta[c]*o[t-1],
//             o[t] = u[t] > theta[c], leak_k(u) = u - (u >>> k) (k = 0: u);
//             out = PE words of T bits (bit t = o[t]);
//   MODE 2:   v[c] = sum_t (a[t] + b[c]); out = PE signed STATE_BITS scores,
//             or with EMIT_LABEL the lowest-index argmax once per vector.
// The input vector is buffered on the first neuron fold and reread for the
// others (as FINN's MVAU does). One beat per cycle when the output does not
// stall; latency 3 cycles after the last beat of a neuron fold.
`default_nettype none

module snn_mvu #(
    parameter int MODE        = 1,   // 0: image input LIF, 1: spike LIF, 2: output accumulator
    parameter int MW          = 8,   // matrix width: input elements per vector
    parameter int MH          = 4,   // matrix height: output channels
    parameter int SIMD        = 2,   // input elements per beat, divides MW
    parameter int PE          = 2,   // output channels per beat, divides MH
    parameter int T           = 5,   // timesteps (bits per spike word)
    parameter int IN_BITS     = 8,   // bits of an image pixel (MODE 0)
    parameter int WBITS       = 4,   // signed weight bits
    parameter int ACC_BITS    = 16,  // signed bits of a[t] (SPEC section 6)
    parameter int STATE_BITS  = 20,  // signed bits of u[t], or of the score (MODE 2)
    parameter int LEAK_SHIFT  = 0,   // k of leak_k, 0..15 (0 = no leak)
    parameter int EMIT_LABEL  = 0,   // MODE 2: output the argmax label instead of scores
    parameter int LABEL_BITS  = 2,   // bits of the label output
    parameter string WEIGHT_FILE = "",  // $readmemh: NF*SF words of PE*SIMD*WBITS bits
    parameter string BIAS_FILE   = "",  // $readmemh: NF words of PE*STATE_BITS bits
    parameter string THETA_FILE  = "",  // $readmemh: NF words of PE*STATE_BITS bits (MODE 0/1)
    // derived: bits per input element, and the output word width
    localparam int EBITS = MODE == 0 ? IN_BITS : T,
    localparam int OUT_W = MODE == 2 ? (EMIT_LABEL != 0 ? LABEL_BITS : PE * STATE_BITS) : PE * T
) (
    input  wire logic                 clk,
    input  wire logic                 rst,
    input  wire logic [SIMD*EBITS-1:0] s_axis_tdata,
    input  wire logic                 s_axis_tvalid,
    output wire logic                 s_axis_tready,
    output wire logic [OUT_W-1:0]     m_axis_tdata,
    output wire logic                 m_axis_tvalid,
    input  wire logic                 m_axis_tready
);
    localparam int NF = MH / PE;
    localparam int SF = MW / SIMD;
    localparam int NACC = MODE == 0 ? 1 : T;                  // accumulators per PE
    localparam int SFW = SF > 1 ? $clog2(SF) : 1;
    localparam int NFW = NF > 1 ? $clog2(NF) : 1;
    localparam int WAW = NF * SF > 1 ? $clog2(NF * SF) : 1;
    localparam int XW = STATE_BITS + 2;                       // LIF arithmetic width (never overflows)

    initial begin
        if (MW % SIMD != 0 || MH % PE != 0) $error("snn_mvu: SIMD must divide MW and PE must divide MH");
        if (MODE < 0 || MODE > 2) $error("snn_mvu: MODE must be 0, 1 or 2");
        if (LEAK_SHIFT < 0 || LEAK_SHIFT > 15) $error("snn_mvu: LEAK_SHIFT must be in 0..15");
        if (STATE_BITS < ACC_BITS) $error("snn_mvu: STATE_BITS must be at least ACC_BITS");
        if (T < 1 || T > 16) $error("snn_mvu: T must be in 1..16");
    end

    // ------------------------------------------------------------ parameters in memories
    logic [PE*SIMD*WBITS-1:0] wmem [NF * SF];
    logic [PE*STATE_BITS-1:0] bmem [NF];
    logic [PE*STATE_BITS-1:0] tmem [NF];
    initial begin
        $readmemh(WEIGHT_FILE, wmem);
        $readmemh(BIAS_FILE, bmem);
        if (MODE != 2) $readmemh(THETA_FILE, tmem);
    end

    // ------------------------------------------------------------ stage 0: issue one beat
    logic [SIMD*EBITS-1:0] ibuf [SF];
    logic [SFW-1:0] sf_reg;
    logic [NFW-1:0] nf_reg;
    logic out_valid_reg;
    wire logic advance = !out_valid_reg || m_axis_tready;     // the whole pipeline moves together
    wire logic from_stream = (nf_reg == '0);
    wire logic issue = advance && (!from_stream || s_axis_tvalid);
    wire logic [SIMD*EBITS-1:0] beat = from_stream ? s_axis_tdata : ibuf[sf_reg];
    assign s_axis_tready = advance && from_stream;

    always_ff @(posedge clk) begin
        if (issue && from_stream)
            ibuf[sf_reg] <= s_axis_tdata;
    end

    // ------------------------------------------------------------ stage 1: registered operands
    logic v1_reg, first1_reg, last1_reg;
    logic [NFW-1:0] nf1_reg;
    logic [SIMD*EBITS-1:0] x1_reg;
    logic [PE*SIMD*WBITS-1:0] w1_reg;

    always_ff @(posedge clk) begin
        if (rst) begin
            sf_reg <= '0;
            nf_reg <= '0;
            v1_reg <= 1'b0;
        end else if (advance) begin
            v1_reg <= issue;
            if (issue) begin
                if (32'(sf_reg) == SF - 1) begin
                    sf_reg <= '0;
                    nf_reg <= (32'(nf_reg) == NF - 1) ? '0 : nf_reg + 1'b1;
                end else begin
                    sf_reg <= sf_reg + 1'b1;
                end
            end
        end
    end

    always_ff @(posedge clk) begin
        if (advance && issue) begin
            x1_reg <= beat;
            w1_reg <= wmem[WAW'(32'(nf_reg) * SF + 32'(sf_reg))];
            first1_reg <= (sf_reg == '0);
            last1_reg <= (32'(sf_reg) == SF - 1);
            nf1_reg <= nf_reg;
        end
    end

    // ------------------------------------------------------------ stage 2: partial sums of one beat
    // Balanced adder tree per (PE, timestep) in heap order: leaves at [SP2, 2*SP2), node i = 2i + 2i+1.
    localparam int SP2 = 1 << $clog2(SIMD);
    logic signed [ACC_BITS-1:0] tree [PE][NACC][2*SP2];
    logic signed [ACC_BITS-1:0] psum [PE][NACC];
    always_comb begin
        for (int p = 0; p < PE; p++) begin
            for (int t = 0; t < NACC; t++) begin
                for (int i = 0; i < 2 * SP2; i++) tree[p][t][i] = '0;
                for (int s = 0; s < SIMD; s++) begin
                    if (MODE == 0)
                        tree[p][t][SP2 + s] = ACC_BITS'($signed(w1_reg[(p*SIMD+s)*WBITS +: WBITS])
                                                       * $signed({1'b0, x1_reg[s*EBITS +: EBITS]}));
                    else if (x1_reg[s*EBITS + t])           // the spike gates the weight
                        tree[p][t][SP2 + s] = ACC_BITS'($signed(w1_reg[(p*SIMD+s)*WBITS +: WBITS]));
                end
                for (int i = SP2 - 1; i >= 1; i--) tree[p][t][i] = tree[p][t][2*i] + tree[p][t][2*i+1];
                psum[p][t] = SIMD == 1 ? tree[p][t][SP2] : tree[p][t][1];
            end
        end
    end

    logic v2_reg, first2_reg, last2_reg;
    logic [NFW-1:0] nf2_reg;
    logic signed [ACC_BITS-1:0] psum2_reg [PE][NACC];
    always_ff @(posedge clk) begin
        if (rst) v2_reg <= 1'b0;
        else if (advance) v2_reg <= v1_reg;
        if (advance) begin
            psum2_reg <= psum;
            first2_reg <= first1_reg;
            last2_reg <= last1_reg;
            nf2_reg <= nf1_reg;
        end
    end

    // ------------------------------------------------------------ stage 3: accumulate, neuron, output
    logic signed [ACC_BITS-1:0] acc_reg [PE][NACC];
    logic signed [ACC_BITS-1:0] acc_next [PE][NACC];
    always_comb begin
        for (int p = 0; p < PE; p++)
            for (int t = 0; t < NACC; t++)
                acc_next[p][t] = (first2_reg ? ACC_BITS'(0) : acc_reg[p][t]) + psum2_reg[p][t];
    end

    function automatic logic signed [XW-1:0] leak(input logic signed [XW-1:0] u);
        return LEAK_SHIFT == 0 ? u : u - (u >>> LEAK_SHIFT);
    endfunction

    /* verilator lint_off UNUSEDSIGNAL */  // spikes, scores and the label path: each mode uses one
    logic [PE*T-1:0] spikes;
    logic signed [STATE_BITS-1:0] scores [PE];
    /* verilator lint_on UNUSEDSIGNAL */
    always_comb begin
        for (int p = 0; p < PE; p++) begin
            logic signed [XW-1:0] u, b, th, v;
            logic o;
            b = XW'($signed(bmem[nf2_reg][p*STATE_BITS +: STATE_BITS]));
            th = XW'($signed(tmem[nf2_reg][p*STATE_BITS +: STATE_BITS]));
            u = '0;
            o = 1'b0;
            v = '0;
            for (int t = 0; t < T; t++) begin
                u = leak(u) + XW'(acc_next[p][MODE == 0 ? 0 : t]) + b - (o ? th : XW'(0));
                o = u > th;
                spikes[p*T + t] = o;
                v = v + XW'(acc_next[p][MODE == 0 ? 0 : t]) + b;
            end
            scores[p] = STATE_BITS'(v);
        end
    end

    // label: running lowest-index argmax over the neuron folds of one vector
    logic signed [STATE_BITS-1:0] best_reg;
    logic [LABEL_BITS-1:0] best_idx_reg;
    /* verilator lint_off UNUSEDSIGNAL */
    logic signed [STATE_BITS-1:0] best_next;
    logic [LABEL_BITS-1:0] best_idx_next;
    /* verilator lint_on UNUSEDSIGNAL */
    always_comb begin
        best_next = (nf2_reg == '0) ? scores[0] : best_reg;
        best_idx_next = (nf2_reg == '0) ? '0 : best_idx_reg;
        for (int p = 0; p < PE; p++) begin
            if (scores[p] > best_next) begin                 // strict: ties keep the lower index
                best_next = scores[p];
                best_idx_next = LABEL_BITS'(32'(nf2_reg) * PE + p);
            end
        end
    end

    // output word of this neuron fold, by mode
    logic [OUT_W-1:0] out_next;
    generate
        if (MODE == 2 && EMIT_LABEL != 0) begin : g_label
            assign out_next = OUT_W'(best_idx_next);
        end else if (MODE == 2) begin : g_scores
            always_comb for (int p = 0; p < PE; p++) out_next[p*STATE_BITS +: STATE_BITS] = scores[p];
        end else begin : g_spikes
            assign out_next = OUT_W'(spikes);
        end
    endgenerate

    logic [OUT_W-1:0] out_data_reg;
    always_ff @(posedge clk) begin
        if (rst) begin
            out_valid_reg <= 1'b0;
        end else begin
            if (m_axis_tready) out_valid_reg <= 1'b0;
            if (advance && v2_reg) begin
                acc_reg <= acc_next;
                if (last2_reg) begin
                    best_reg <= best_next;
                    best_idx_reg <= best_idx_next;
                    if (!(MODE == 2 && EMIT_LABEL != 0) || 32'(nf2_reg) == NF - 1) begin
                        out_data_reg <= out_next;
                        out_valid_reg <= 1'b1;
                    end
                end
            end
        end
    end

    assign m_axis_tdata = out_data_reg;
    assign m_axis_tvalid = out_valid_reg;
endmodule

`default_nettype wire
