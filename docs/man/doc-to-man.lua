-- Turns a page of docs/ into the body of a man page, so that the page and the man page are one
-- text. Man sections are the upper-case level-1 headings of the man source around the page (NAME,
-- SYNOPSIS, DESCRIPTION, SEE ALSO ...); the page's own title (a level-1 heading that is not upper
-- case) goes, and the page's sections move up one level to become man sections (.SH) and their
-- subsections (.SS).
-- Metadata man-drop: a list of the page's section titles that are for developers, not operators,
-- left out of the man page with everything under them.
-- Links to other files of the repository mean nothing in a man page: their text stays, the
-- target goes. Images go.
-- Tables: pandoc sizes the columns of a wide Markdown table from its |---|---| line, equal for
-- every column here, so a one-word column got as much room as a column of sentences and long words
-- overflowed (groff: "cannot adjust line"). The columns are sized from their contents instead.

local function drop_titles(meta)
  local titles = {}
  local list = meta['man-drop']
  if list == nil then return titles end
  if list.t ~= 'MetaList' then list = {list} end
  for _, item in ipairs(list) do titles[pandoc.utils.stringify(item)] = true end
  return titles
end

local function is_man_section(header)
  local text = pandoc.utils.stringify(header)
  return header.level == 1 and text == text:upper()
end

function Pandoc(doc)
  local drop = drop_titles(doc.meta)
  local out = {}
  local in_page = false      -- between a page's title and the next man section
  local dropping = nil       -- the level of the dropped section being skipped
  for _, block in ipairs(doc.blocks) do
    if block.t == 'Header' then
      if is_man_section(block) then
        in_page, dropping = false, nil
      elseif block.level == 1 then
        in_page, dropping = true, nil
        goto next
      elseif in_page then
        if dropping and block.level > dropping then goto next end
        dropping = nil
        if drop[pandoc.utils.stringify(block)] then
          dropping = block.level
          goto next
        end
        block.level = block.level - 1
      end
    elseif dropping then
      goto next
    end
    out[#out + 1] = block
    ::next::
  end
  -- Ragged right: a justified narrow table column with a long word in it cannot be adjusted
  -- (groff warns), and ragged text reads as well on a terminal. No hyphenation, and no line
  -- break after a "-": the words here are options, paths, keys and commands (--list-keys), which
  -- a break would misspell.
  table.insert(out, 1, pandoc.RawBlock('man', '.ad l\n.nh\n.cflags 0 -'))
  doc.blocks = out
  return doc
end

function Link(link)
  if link.target:match('^https?:') then return link end
  return link.content
end

function Image()
  return {}
end

-- pandoc writes a column's width as its fraction of 70 characters (tbl's w(N n)). At 80 columns
-- a man page's text has 71 (man-db leaves a margin); tables get 70 of them, tbl puts 3 between
-- columns. Lengths are counted in bytes: a cell with a few UTF-8 quotes gets a little more room.
local kPandocLine = 70
local kLine = 70
local kGap = 3

local function cell_rows(tbl)
  local rows = {}
  for _, row in ipairs(tbl.head.rows) do rows[#rows + 1] = row end
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do rows[#rows + 1] = row end
  end
  return rows
end

-- Code in a cell (a path, a key, an EAL argument) may be longer than the column is wide: it may
-- break after / _ . , = (groff's zero-width break point \:), so that tables fit in 80 columns.
local kBreakAfter = '[^/_.,=]*[/_.,=]?'

local function breakable_code(code)
  local out = {}
  for piece in code.text:gmatch(kBreakAfter) do
    if piece ~= '' then
      if #out > 0 then out[#out + 1] = pandoc.RawInline('man', '\\:') end
      out[#out + 1] = pandoc.Code(piece)
    end
  end
  return out
end

local function longest_piece(text)
  local longest = 0
  for w in text:gmatch('%S+') do
    for piece in w:gmatch(kBreakAfter) do longest = math.max(longest, #piece) end
  end
  return longest
end

-- Each column gets at least its longest word and at most its longest cell; the room left goes to
-- the columns that can use it, in proportion to how long their cells are on average.
function Table(tbl)
  local n = #tbl.colspecs
  local full, word, total, count = {}, {}, {}, 0
  for i = 1, n do full[i], word[i], total[i] = 1, 1, 0 end
  for _, row in ipairs(cell_rows(tbl)) do
    count = count + 1
    for i, cell in ipairs(row.cells) do
      local text = pandoc.utils.stringify(cell.contents)
      full[i] = math.max(full[i], #text + 2)
      total[i] = total[i] + #text
      word[i] = math.max(word[i], longest_piece(text) + 1)
      cell.contents = pandoc.walk_block(pandoc.Div(cell.contents), {Code = breakable_code}).content
    end
  end
  local width, room = {}, kLine - kGap * (n - 1)
  for i = 1, n do
    width[i] = word[i]
    room = room - width[i]
  end
  while room > 0.5 do
    local weight = 0
    for i = 1, n do
      if width[i] < full[i] then weight = weight + total[i] / count + 1 end
    end
    if weight == 0 then break end
    local given = 0
    for i = 1, n do
      if width[i] < full[i] then
        local more = math.min(room * (total[i] / count + 1) / weight, full[i] - width[i])
        width[i] = width[i] + more
        given = given + more
      end
    end
    room = room - given
  end
  for i = 1, n do tbl.colspecs[i][2] = width[i] / kPandocLine end
  return tbl
end
