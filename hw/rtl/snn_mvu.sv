// Matrix-vector unit fused with the integer LIF neuron of SPEC section 3
// (MODE 0: image input, MODE 1: spike-word input) or with the non-spiking
// output accumulator (MODE 2), pipelined: one arithmetic stage per clock.
//
// Per input vector of MW elements (SIMD per beat, element 0 in the LSBs) and
// for each neuron fold nf (PE output channels) it accumulates, over the MW/SIMD
// synapse folds, a[t] = sum_i W[i][c] * in_i[t]: a spike word's bit t gates the
// weight (no multipliers); an image pixel is multiplied once and the product
// integrated T times. After the last fold:
//   MODE 0/1: u[t] = leak_k(u[t-1]) + a[t] + b[c] - theta[c]*o[t-1],
//             o[t] = u[t] > theta[c], leak_k(u) = u - (u >>> k) (k = 0: u);
//             out = PE words of T bits (bit t = o[t]);
//   MODE 2:   v[c] = sum_t (a[t] + b[c]); out = PE signed STATE_BITS scores,
//             or with EMIT_LABEL the lowest-index argmax once per vector.
// The input vector is buffered on the first neuron fold and reread for the
// others (as FINN's MVAU does).
//
// Pipeline (every register moves together on `advance`: a stalled output
// holds the whole pipeline, nothing is lost):
//   S1  operands: the beat and the weight word (counter addresses, no multiplier)
//   P   MODE 0: the products W * x, registered
//   T*  the adder tree per (PE, timestep): binary, on carry chains, a register
//       after every TREE_LPS levels (MODE 2: one tree over SIMD x T leaves)
//   A   accumulate over the synapse folds; MODE 0/1 start from b[c], so the
//       accumulator holds a[t] + b when the fold ends
//   N   MODE 2: + T*b (shift-adds, no multiplier)
//   L   MODE 0/1: u[t] = leak(u[t-1]) + (o[t-1] ? a[t]+b-theta : a[t]+b),
//       o[t] = u[t] > theta, i.e. leak(u[t-1]) + (o[t-1] ? a[t]+b-2theta-1 : a[t]+b-theta-1) >= 0:
//       a second adder beside the first (its summands prepared a stage earlier), so no compare
//       follows the adder; one membrane update per stage. In time (one
//       timestep per cycle, one LIF per PE; a neuron fold ends at most every
//       SF >= T cycles) or in space (stage N: a+b-theta, then T stages L_t,
//       registered between successive updates): LIF_TIME. Measured before the second adder (Yosys,
//       SB 9-12): T 5 in space 190 LUT / 355 FF per PE, in time 221 / 151;
//       T 16 in space 792 / 3588, in time 474 / 491
//   M   MODE 2 with EMIT_LABEL: a compare tree over PE, registered per level,
//       then the running argmax over the neuron folds
//   out the output register
// One beat per cycle when the output does not stall; latency grows with
// log2(SIMD) and T (outputs are in order).
//
// Weight memory (WEIGHT_LOAD): 0, block RAM / LUTRAM initialised from
// WEIGHT_FILE ($readmemh, in the bitstream); 1, UltraRAM (ram_style "ultra"),
// which has no bitstream initialisation: the NF*SF words arrive on s_axis_w
// (word a = the a-th word of WEIGHT_FILE's layout) and the unit refuses input
// beats (s_axis_tready low) until all are written. A reset clears `loaded`
// (not the memory): after every reset the weights are loaded again, so a load
// cut by a reset never leaves a mix of old and new words in use. The URAM read
// has two registers (S0: the memory's read register, S1: its output register),
// one stage more than the block-RAM read.
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
    parameter string WEIGHT_FILE = "",  // $readmemh: NF*SF words of PE*SIMD*WBITS bits (WEIGHT_LOAD 0)
    parameter int WEIGHT_LOAD = 0,   // 0: weights from WEIGHT_FILE; 1: UltraRAM loaded through s_axis_w
    parameter string BIAS_FILE   = "",  // $readmemh: NF words of PE*STATE_BITS bits
    parameter string THETA_FILE  = "",  // $readmemh: NF words of PE*STATE_BITS bits (MODE 0/1)
    parameter int TREE_LPS    = 1,   // adder-tree levels per pipeline stage (1: a register after every level)
    parameter int LIF_TIME    = -1,  // MODE 0/1: 1 LIF in time (needs MW/SIMD >= T), 0 in space, -1 chosen:
                                     // in time when MW/SIMD >= T >= 8 (below T = 8 space costs fewer LUTs)
    // derived: bits per input element, and the output word width
    localparam int EBITS = MODE == 0 ? IN_BITS : T,
    localparam int OUT_W = MODE == 2 ? (EMIT_LABEL != 0 ? LABEL_BITS : PE * STATE_BITS) : PE * T,
    localparam int WW = PE * SIMD * WBITS  // bits of one weight word
) (
    input  wire logic                 clk,
    input  wire logic                 rst,
    input  wire logic [SIMD*EBITS-1:0] s_axis_tdata,
    input  wire logic                 s_axis_tvalid,
    output wire logic                 s_axis_tready,
    output wire logic [OUT_W-1:0]     m_axis_tdata,
    output wire logic                 m_axis_tvalid,
    input  wire logic                 m_axis_tready,
    // weight load (WEIGHT_LOAD 1): NF*SF words in address order; tready low once all are written
    input  wire logic [WW-1:0]        s_axis_w_tdata,
    input  wire logic                 s_axis_w_tvalid,
    output wire logic                 s_axis_w_tready
);
    localparam int NF = MH / PE;
    localparam int SF = MW / SIMD;
    localparam int SFW = SF > 1 ? $clog2(SF) : 1;
    localparam int NFW = NF > 1 ? $clog2(NF) : 1;
    localparam int WAW = NF * SF > 1 ? $clog2(NF * SF) : 1;
    localparam int SB = STATE_BITS;
    // trees: LANES = PE x NACC trees of NLEAF leaves each
    localparam int NACC = MODE == 1 ? T : 1;                   // trees (accumulators) per PE
    localparam int NLEAF = MODE == 2 ? SIMD * T : SIMD;        // MODE 2 sums all timesteps in one tree
    localparam int LANES = PE * NACC;
    localparam int TW = MODE == 2 ? STATE_BITS : ACC_BITS;     // bits of a tree's sum (SPEC section 6 bound)
    localparam int RAW_LEAF = MODE == 0 ? WBITS + IN_BITS : WBITS;
    localparam int LEAF_W = RAW_LEAF < TW ? RAW_LEAF : TW;     // a leaf's value always fits TW (|w x| <= A_max)
    localparam int LEVELS = NLEAF > 1 ? $clog2(NLEAF) : 0;
    localparam int PROD_LAT = MODE == 0 ? 1 : 0;
    localparam int SUM_LAT = PROD_LAT + (LEVELS + TREE_LPS - 1) / TREE_LPS;  // S1 operands -> tree sums
    // label path: compare tree over PE
    localparam int PLV = PE > 1 ? $clog2(PE) : 0;
    localparam int LPW = PE > 1 ? $clog2(PE) : 1;
    localparam bit IN_TIME = LIF_TIME < 0 ? (SF >= T && T >= 8) : LIF_TIME != 0;

    initial begin
        if (MW % SIMD != 0 || MH % PE != 0) $error("snn_mvu: SIMD must divide MW and PE must divide MH");
        if (MODE < 0 || MODE > 2) $error("snn_mvu: MODE must be 0, 1 or 2");
        if (LEAK_SHIFT < 0 || LEAK_SHIFT > 15) $error("snn_mvu: LEAK_SHIFT must be in 0..15");
        if (STATE_BITS < ACC_BITS) $error("snn_mvu: STATE_BITS must be at least ACC_BITS");
        if (T < 1 || T > 16) $error("snn_mvu: T must be in 1..16");
        if (TREE_LPS < 1) $error("snn_mvu: TREE_LPS must be at least 1");
        if (LIF_TIME > 0 && SF < T) $error("snn_mvu: LIF_TIME = 1 needs MW/SIMD >= T");
        if (MODE == 2 && EMIT_LABEL != 0 && (1 << LABEL_BITS) < MH) $error("snn_mvu: LABEL_BITS too small for MH");
        if (WEIGHT_LOAD < 0 || WEIGHT_LOAD > 1) $error("snn_mvu: WEIGHT_LOAD must be 0 or 1");
    end
    localparam bit LOAD = WEIGHT_LOAD != 0;

    typedef struct packed {
        logic v;                // a beat
        logic first;            // first synapse fold of a neuron fold
        logic last;             // last synapse fold
        logic [NFW-1:0] nf;     // neuron fold
    } ctrl_t;

    // ------------------------------------------------------------ parameters in memories
    logic [PE*STATE_BITS-1:0] bmem [NF];
    logic [PE*STATE_BITS-1:0] tmem [NF];
    initial begin
        $readmemh(BIAS_FILE, bmem);
        if (MODE != 2) $readmemh(THETA_FILE, tmem);
    end
    logic loaded;  // every weight word is in the memory

    // ------------------------------------------------------------ issue one beat; counters address everything
    logic [SFW-1:0] sf_reg;
    logic [NFW-1:0] nf_reg;
    logic [WAW-1:0] waddr_reg;
    logic out_valid_reg;
    wire logic advance = !out_valid_reg || m_axis_tready;     // the whole pipeline moves together
    wire logic from_stream;
    wire logic [SIMD*EBITS-1:0] beat;
    generate
        if (NF > 1) begin : g_ibuf
            logic [SIMD*EBITS-1:0] ibuf [SF];
            assign from_stream = (nf_reg == '0);
            assign beat = from_stream ? s_axis_tdata : ibuf[sf_reg];
            always_ff @(posedge clk) begin
                if (advance && loaded && from_stream && s_axis_tvalid) ibuf[sf_reg] <= s_axis_tdata;
            end
        end else begin : g_direct
            assign from_stream = 1'b1;
            assign beat = s_axis_tdata;
        end
    endgenerate
    wire logic issue = advance && loaded && (!from_stream || s_axis_tvalid);
    assign s_axis_tready = advance && loaded && from_stream;
    wire logic sf_last = (32'(sf_reg) == SF - 1);
    wire logic nf_last = (32'(nf_reg) == NF - 1);

    always_ff @(posedge clk) begin
        if (rst) begin
            sf_reg <= '0;
            nf_reg <= '0;
            waddr_reg <= '0;
        end else if (issue) begin
            sf_reg <= sf_last ? '0 : sf_reg + 1'b1;
            if (sf_last) nf_reg <= nf_last ? '0 : nf_reg + 1'b1;
            waddr_reg <= (sf_last && nf_last) ? '0 : waddr_reg + 1'b1;
        end
    end

    // ------------------------------------------------------------ S1: registered operands
    ctrl_t c1_reg;
    logic [SIMD*EBITS-1:0] x1_reg;
    logic [WW-1:0] w1_reg;
    wire ctrl_t c_issue = '{v: issue, first: sf_reg == '0, last: sf_last, nf: nf_reg};
    wire logic [NFW-1:0] s1_next_nf;  // the neuron fold S1 takes on the next advance
    generate
        if (!LOAD) begin : g_wrom
            // block RAM (or LUTRAM when shallow), initialised by the bitstream; one registered read
            logic [WW-1:0] wmem [NF * SF];
            initial $readmemh(WEIGHT_FILE, wmem);
            assign loaded = 1'b1;
            assign s_axis_w_tready = 1'b0;
            /* verilator lint_off UNUSEDSIGNAL */
            wire logic unused_w = &{1'b0, s_axis_w_tdata, s_axis_w_tvalid};
            /* verilator lint_on UNUSEDSIGNAL */
            assign s1_next_nf = nf_reg;
            always_ff @(posedge clk) begin
                if (rst) c1_reg <= '0;
                else if (advance) c1_reg <= c_issue;
                if (advance && issue) begin
                    x1_reg <= beat;
                    w1_reg <= wmem[waddr_reg];
                end
            end
        end else begin : g_wuram
            // UltraRAM, written by the loader; read: S0 the memory's read register, S1 its output register
            (* ram_style = "ultra" *) logic [WW-1:0] wmem [NF * SF];
            logic [WAW-1:0] wr_addr_reg;
            logic loaded_reg;
            wire logic wr = s_axis_w_tvalid && !loaded_reg;
            assign loaded = loaded_reg;
            assign s_axis_w_tready = !loaded_reg;
            always_ff @(posedge clk) begin
                if (rst) begin
                    wr_addr_reg <= '0;
                    loaded_reg <= 1'b0;
                end else if (wr) begin
                    wr_addr_reg <= wr_addr_reg + 1'b1;
                    if (32'(wr_addr_reg) == NF * SF - 1) loaded_reg <= 1'b1;
                end
            end
            always_ff @(posedge clk) if (wr) wmem[wr_addr_reg] <= s_axis_w_tdata;  // no reset: URAM contents
            ctrl_t c0_reg;
            logic [SIMD*EBITS-1:0] x0_reg;
            logic [WW-1:0] w0_reg;
            assign s1_next_nf = c0_reg.nf;
            always_ff @(posedge clk) begin
                if (rst) begin
                    c0_reg <= '0;
                    c1_reg <= '0;
                end else if (advance) begin
                    c0_reg <= c_issue;
                    c1_reg <= c0_reg;
                end
                if (advance && issue) begin
                    x0_reg <= beat;
                    w0_reg <= wmem[waddr_reg];
                end
                if (advance) begin
                    x1_reg <= x0_reg;
                    w1_reg <= w0_reg;
                end
            end
        end
    endgenerate

    // ------------------------------------------------------------ P + tree: partial sums of one beat
    function automatic int tnodes(input int l);  // nodes at tree level l
        return (NLEAF + (1 << l) - 1) >> l;
    endfunction
    function automatic int twidth(input int l);  // bits of a level-l node
        return LEAF_W + l < TW ? LEAF_W + l : TW;
    endfunction

    for (genvar l = 0; l <= LEVELS; l++) begin : g_lvl
        localparam int NL = tnodes(l);
        localparam int WL = twidth(l);
        logic signed [WL-1:0] v [LANES][NL];
        if (l == 0 && MODE == 0) begin : g_prod         // products, registered
            always_ff @(posedge clk) begin
                if (advance)
                    for (int p = 0; p < PE; p++)
                        for (int s = 0; s < SIMD; s++)
                            v[p][s] <= WL'($signed(w1_reg[(p*SIMD+s)*WBITS +: WBITS])
                                           * $signed({1'b0, x1_reg[s*EBITS +: EBITS]}));
            end
        end else if (l == 0) begin : g_gate             // spike-gated weights
            always_comb begin
                for (int p = 0; p < PE; p++)
                    for (int j = 0; j < NACC; j++)
                        for (int i = 0; i < NLEAF; i++) begin
                            // MODE 1: tree j = timestep j, leaf i = element i; MODE 2: leaf i = (element i/T, step i%T)
                            int e, ts;
                            e = MODE == 2 ? i / T : i;
                            ts = MODE == 2 ? i % T : j;
                            v[p*NACC+j][i] = x1_reg[e*EBITS + ts] ? WL'($signed(w1_reg[(p*SIMD+e)*WBITS +: WBITS]))
                                                                  : WL'(0);
                        end
            end
        end else begin : g_add
            localparam int NP = tnodes(l - 1);
            logic signed [WL-1:0] s [LANES][NL];
            always_comb begin
                for (int j = 0; j < LANES; j++)
                    for (int i = 0; i < NL; i++)
                        if (2 * i + 1 < NP) s[j][i] = WL'(g_lvl[l-1].v[j][2*i]) + WL'(g_lvl[l-1].v[j][2*i+1]);
                        else s[j][i] = WL'(g_lvl[l-1].v[j][2*i]);
            end
            if (l % TREE_LPS == 0 || l == LEVELS) begin : g_reg
                always_ff @(posedge clk) if (advance) v <= s;
            end else begin : g_comb
                always_comb v = s;
            end
        end
    end

    // control beside the tree
    ctrl_t cp [SUM_LAT + 1];
    assign cp[0] = c1_reg;
    for (genvar k = 1; k <= SUM_LAT; k++) begin : g_cp
        always_ff @(posedge clk) begin
            if (rst) cp[k] <= '0;
            else if (advance) cp[k] <= cp[k-1];
        end
    end
    wire ctrl_t cs = cp[SUM_LAT];
    // bias / threshold of cs's neuron fold, read one stage ahead (registered memory read)
    wire logic [NFW-1:0] pre_nf = SUM_LAT > 0 ? cp[SUM_LAT > 0 ? SUM_LAT - 1 : 0].nf : s1_next_nf;
    logic [PE*STATE_BITS-1:0] b_reg, th_reg;
    always_ff @(posedge clk) begin
        if (advance) begin
            b_reg <= bmem[pre_nf];
            th_reg <= MODE != 2 ? tmem[pre_nf] : '0;
        end
    end

    // ------------------------------------------------------------ A: accumulate over the synapse folds
    /* verilator lint_off UNUSEDSIGNAL */  // first is not needed after A (nf: in MODE 2 only)
    ctrl_t ca_reg;
    /* verilator lint_on UNUSEDSIGNAL */
    logic signed [SB-1:0] acc_reg [LANES];
    /* verilator lint_off UNUSEDSIGNAL */  // theta in MODE 0/1, T * b in MODE 2
    logic signed [SB-1:0] tha_reg [PE];
    logic signed [SB-1:0] tba_reg [PE];
    /* verilator lint_on UNUSEDSIGNAL */
    always_ff @(posedge clk) begin
        if (rst) ca_reg <= '0;
        else if (advance) ca_reg <= cs;
        if (advance) begin
            for (int p = 0; p < PE; p++) begin
                logic signed [SB-1:0] b, tb;
                b = $signed(b_reg[p*SB +: SB]);
                tb = '0;
                for (int i = 0; i < 5; i++) if (((T >> i) & 1) != 0) tb = tb + (b <<< i);  // shift-adds
                tha_reg[p] <= $signed(th_reg[p*SB +: SB]);
                tba_reg[p] <= tb;
                if (cs.v)
                    for (int j = 0; j < NACC; j++)
                        acc_reg[p*NACC+j] <= (cs.first ? (MODE == 2 ? SB'(0) : b) : acc_reg[p*NACC+j])
                                             + SB'(g_lvl[LEVELS].v[p*NACC+j][0]);
            end
        end
    end

    function automatic logic signed [SB-1:0] leak(input logic signed [SB-1:0] u);
        return LEAK_SHIFT == 0 ? u : u - (u >>> LEAK_SHIFT);
    endfunction
    // The spike o = u > theta is the sign of u + ~theta (= u - theta - 1), computed next to u from a summand
    // prepared a stage earlier (x + ~theta), so no compare follows the membrane adder in one stage. DB = SB + 2
    // bits hold u - 2 theta - 1 exactly.
    localparam int DB = SB + 2;
    function automatic logic signed [DB-1:0] ext(input logic signed [SB-1:0] v);
        return {{2{v[SB-1]}}, v};
    endfunction
    function automatic logic signed [DB-1:0] minus_th1(input logic signed [SB-1:0] x, input logic signed [SB-1:0] th,
                                                        input logic twice);  // x - (twice ? 2 : 1) * th - 1
        return ext(x) + ~(twice ? ext(th) <<< 1 : ext(th));
    endfunction

    // ------------------------------------------------------------ N, L_t, M: neuron or scores
    logic fin_v;                  // the last stage's result is valid
    logic [OUT_W-1:0] fin_data;   // ... and its output word
    generate
        if (MODE != 2 && IN_TIME) begin : g_serial
            // LIF in time: one timestep per advance. A neuron fold ends at most every SF >= T advances, so
            // its T steps are done when the next one arrives. Step t uses a[t]+b and a[t]+b-theta prepared
            // (subtracted, registered) during step t-1. The fold's a[t]+b shift down one lane per step, so the
            // next step's value is always in lane 1: no multiplexer indexed by the step counter.
            localparam int TSW = T > 1 ? $clog2(T) : 1;
            localparam int NXT = NACC > 1 ? 1 : 0;
            logic busy;
            logic [TSW-1:0] ts;
            logic signed [SB-1:0] abs_ [LANES];                       // a[t] + b of the fold being stepped
            logic signed [SB-1:0] ths [PE];
            logic signed [SB-1:0] abc [PE], abtc [PE];                // step ts's a[t]+b, a[t]+b-theta
            logic signed [DB-1:0] abcm [PE], abtcm [PE];              // ... and each - theta - 1
            logic signed [SB-1:0] u [PE];
            logic [PE-1:0] o;
            logic [T-1:0] spk [PE];
            logic signed [SB-1:0] un [PE];
            logic [PE-1:0] on;
            wire logic cap = ca_reg.v && ca_reg.last;
            wire logic step_last = busy && 32'(ts) == T - 1;
            wire logic [TSW-1:0] nxt = step_last ? '0 : ts + 1'b1;   // the step prepared now
            always_comb begin
                for (int p = 0; p < PE; p++) begin
                    logic signed [SB-1:0] ui, lk;
                    logic signed [DB-1:0] dn;
                    logic sel;
                    ui = ts == '0 ? SB'(0) : u[p];                    // u[-1] = 0, o[-1] = 0
                    sel = ts != '0 && o[p];
                    lk = LEAK_SHIFT == 0 ? SB'(0) : ui >>> LEAK_SHIFT;  // leak(u) = u - lk
                    // each a three-operand sum (one compressor level and one carry chain), not leak's
                    // chain followed by the adder's
                    un[p] = ui - lk + (sel ? abtc[p] : abc[p]);
                    dn = ext(ui) - ext(lk) + (sel ? abtcm[p] : abcm[p]);  // u[t] - theta - 1
                    on[p] = !dn[DB-1];                                // u[t] > theta
                end
            end
            always_ff @(posedge clk) begin
                if (rst) busy <= 1'b0;
                else if (advance) begin
                    if (cap) busy <= 1'b1;
                    else if (step_last) busy <= 1'b0;
                end
                if (advance) begin
                    if (cap) begin
                        ts <= '0;
                        abs_ <= acc_reg;
                        ths <= tha_reg;
                        for (int p = 0; p < PE; p++) begin
                            abc[p] <= acc_reg[p*NACC];
                            abtc[p] <= acc_reg[p*NACC] - tha_reg[p];
                            abcm[p] <= minus_th1(acc_reg[p*NACC], tha_reg[p], 1'b0);
                            abtcm[p] <= minus_th1(acc_reg[p*NACC], tha_reg[p], 1'b1);
                        end
                    end else if (busy) begin
                        ts <= nxt;
                        for (int p = 0; p < PE; p++) begin
                            abc[p] <= abs_[p*NACC + NXT];
                            abtc[p] <= abs_[p*NACC + NXT] - ths[p];
                            abcm[p] <= minus_th1(abs_[p*NACC + NXT], ths[p], 1'b0);
                            abtcm[p] <= minus_th1(abs_[p*NACC + NXT], ths[p], 1'b1);
                            for (int j = 0; j + 1 < NACC; j++) abs_[p*NACC + j] <= abs_[p*NACC + j + 1];
                        end
                    end
                    if (busy)
                        for (int p = 0; p < PE; p++) begin
                            u[p] <= un[p];
                            o[p] <= on[p];
                            spk[p][ts] <= on[p];
                        end
                end
            end
            assign fin_v = step_last;
            always_comb begin
                for (int p = 0; p < PE; p++) begin
                    logic [T-1:0] s;
                    s = spk[p];
                    s[T-1] = on[p];                                   // the last step's spike, registered by out
                    fin_data[p*T +: T] = s;
                end
            end
        end else if (MODE != 2) begin : g_unrolled
            // LIF in space: stage 0 N (a + b - theta), stage t + 1 L_t. The carried values have a reset so
            // that they stay flip-flops (a shift-register LUT would start the next stage's path ~1 ns later).
            logic nv [T + 1];
            /* verilator lint_off UNUSEDSIGNAL */  // the carried values a later stage no longer reads
            logic signed [SB-1:0] ab [T + 1][LANES];
            logic signed [SB-1:0] abt [T + 1][LANES];
            logic signed [DB-1:0] abm [T + 1][LANES];                 // a + b - theta - 1
            logic signed [DB-1:0] abtm [T + 1][LANES];                // a + b - 2 theta - 1
            logic signed [SB-1:0] u [T + 1][PE];
            logic [T-1:0] spk [T + 1][PE];
            /* verilator lint_on UNUSEDSIGNAL */
            always_ff @(posedge clk) begin
                if (rst) nv[0] <= 1'b0;
                else if (advance) nv[0] <= ca_reg.v && ca_reg.last;
                if (advance) begin
                    for (int p = 0; p < PE; p++) begin
                        u[0][p] <= '0;
                        spk[0][p] <= '0;
                        for (int j = 0; j < NACC; j++) begin
                            ab[0][p*NACC+j] <= acc_reg[p*NACC+j];
                            abt[0][p*NACC+j] <= acc_reg[p*NACC+j] - tha_reg[p];
                            abm[0][p*NACC+j] <= minus_th1(acc_reg[p*NACC+j], tha_reg[p], 1'b0);
                            abtm[0][p*NACC+j] <= minus_th1(acc_reg[p*NACC+j], tha_reg[p], 1'b1);
                        end
                    end
                end
            end
            for (genvar t = 0; t < T; t++) begin : g_step
                localparam int J = MODE == 0 ? 0 : t;
                always_ff @(posedge clk) begin
                    if (rst) nv[t+1] <= 1'b0;
                    else if (advance) nv[t+1] <= nv[t];
                    if (rst) begin
                        for (int j = 0; j < LANES; j++) begin
                            ab[t+1][j] <= '0;
                            abt[t+1][j] <= '0;
                            abm[t+1][j] <= '0;
                            abtm[t+1][j] <= '0;
                        end
                    end else if (advance) begin
                        ab[t+1] <= ab[t];
                        abt[t+1] <= abt[t];
                        abm[t+1] <= abm[t];
                        abtm[t+1] <= abtm[t];
                    end
                    if (advance) begin
                        for (int p = 0; p < PE; p++) begin
                            logic signed [SB-1:0] lu, un;
                            logic signed [DB-1:0] dn;
                            logic sel;
                            if (t == 0) begin                                 // u[-1] = 0, o[-1] = 0
                                un = ab[t][p*NACC+J];
                                dn = abm[t][p*NACC+J];
                            end else begin
                                sel = spk[t][p][t > 0 ? t - 1 : 0];
                                lu = leak(u[t][p]);
                                un = lu + (sel ? abt[t][p*NACC+J] : ab[t][p*NACC+J]);
                                dn = ext(lu) + (sel ? abtm[t][p*NACC+J] : abm[t][p*NACC+J]);
                            end
                            u[t+1][p] <= un;
                            spk[t+1][p] <= spk[t][p];
                            spk[t+1][p][t] <= !dn[DB-1];                      // u[t] > theta
                        end
                    end
                end
            end
            assign fin_v = nv[T];
            always_comb for (int p = 0; p < PE; p++) fin_data[p*T +: T] = spk[T][p];
        end else begin : g_out
            // N: v = sum_t a[t] + T*b
            logic nv;
            logic [NFW-1:0] nnf;
            logic signed [SB-1:0] sc [PE];
            always_ff @(posedge clk) begin
                if (rst) nv <= 1'b0;
                else if (advance) nv <= ca_reg.v && ca_reg.last;
                if (advance) begin
                    nnf <= ca_reg.nf;
                    for (int p = 0; p < PE; p++) sc[p] <= acc_reg[p] + tba_reg[p];
                end
            end
            if (EMIT_LABEL == 0) begin : g_scores
                assign fin_v = nv;
                always_comb for (int p = 0; p < PE; p++) fin_data[p*SB +: SB] = sc[p];
                /* verilator lint_off UNUSEDSIGNAL */
                wire logic [NFW-1:0] unused_nf = nnf;
                /* verilator lint_on UNUSEDSIGNAL */
            end else begin : g_label
                // M: compare tree over PE (lowest index wins ties), one level per stage
                for (genvar l = 0; l <= PLV; l++) begin : g_mx
                    localparam int NL = (PE + (1 << l) - 1) >> l;
                    logic mv;
                    logic [NFW-1:0] mnf;
                    logic signed [SB-1:0] best [NL];
                    logic [LPW-1:0] idx [NL];
                    if (l == 0) begin : g_leaf
                        assign mv = nv;
                        assign mnf = nnf;
                        always_comb for (int i = 0; i < NL; i++) begin
                            best[i] = sc[i];
                            idx[i] = LPW'(i);
                        end
                    end else begin : g_cmp
                        localparam int NP = (PE + (1 << (l - 1)) - 1) >> (l - 1);
                        always_ff @(posedge clk) begin
                            if (rst) mv <= 1'b0;
                            else if (advance) mv <= g_mx[l-1].mv;
                            if (advance) begin
                                mnf <= g_mx[l-1].mnf;
                                for (int i = 0; i < NL; i++) begin
                                    if (2 * i + 1 < NP && g_mx[l-1].best[2*i+1] > g_mx[l-1].best[2*i]) begin
                                        best[i] <= g_mx[l-1].best[2*i+1];
                                        idx[i] <= g_mx[l-1].idx[2*i+1];
                                    end else begin
                                        best[i] <= g_mx[l-1].best[2*i];
                                        idx[i] <= g_mx[l-1].idx[2*i];
                                    end
                                end
                            end
                        end
                    end
                end
                // running argmax over the neuron folds; base = nf * PE kept by a counter
                wire logic rv = g_mx[PLV].mv;
                wire logic [NFW-1:0] rnf = g_mx[PLV].mnf;
                wire logic signed [SB-1:0] cand = g_mx[PLV].best[0];
                logic [LABEL_BITS-1:0] base_reg;
                logic signed [SB-1:0] best_reg;
                logic [LABEL_BITS-1:0] best_idx_reg;
                wire logic first_fold = (rnf == '0);
                wire logic [LABEL_BITS-1:0] base = first_fold ? '0 : base_reg;
                wire logic [LABEL_BITS-1:0] cand_idx = base + LABEL_BITS'(g_mx[PLV].idx[0]);
                wire logic take = first_fold || cand > best_reg;  // strict: ties keep the lower index
                wire logic [LABEL_BITS-1:0] best_idx_next = take ? cand_idx : best_idx_reg;
                always_ff @(posedge clk) begin
                    if (advance && rv) begin
                        base_reg <= base + LABEL_BITS'(PE);
                        if (take) begin
                            best_reg <= cand;
                            best_idx_reg <= cand_idx;
                        end
                    end
                end
                assign fin_v = rv && (32'(rnf) == NF - 1);
                assign fin_data = OUT_W'(best_idx_next);
            end
        end
    endgenerate

    // ------------------------------------------------------------ out: the output register
    logic [OUT_W-1:0] out_data_reg;
    always_ff @(posedge clk) begin
        if (rst) out_valid_reg <= 1'b0;
        else if (advance) out_valid_reg <= fin_v;
        if (advance && fin_v) out_data_reg <= fin_data;
    end

    assign m_axis_tdata = out_data_reg;
    assign m_axis_tvalid = out_valid_reg;
endmodule

`default_nettype wire
