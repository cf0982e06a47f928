-- keras-lsp for Neovim 0.11+.
--
-- The server definition itself lives in `lsp/keras_lsp.lua` (picked up by
-- `vim.lsp.config`); this module adds a `setup()` that configures and enables it,
-- turns inlay hints on for the buffers the server attaches to, and lets settings
-- be changed at run time.

local M = {}

M.name = 'keras_lsp'

---@class keras_lsp.Options
---@field cmd? string[]|fun(...): vim.lsp.rpc.PublicClient  command that starts the server (default `{ 'keras-lsp' }`)
---@field inlay_hints? boolean  enable Neovim's inlay hints in attached buffers (default true)
---@field settings? table  server settings, flat (`{ keras = '3' }`) or under `kerasLsp`
---@field enable? boolean  call `vim.lsp.enable('keras_lsp')` (default true)
---Any other field (filetypes, root_markers, on_attach, capabilities, ...) is passed to `vim.lsp.config`.

---@type keras_lsp.Options
M.defaults = {
  inlay_hints = true,
  settings = {},
  enable = true,
}

---@type keras_lsp.Options
M.options = vim.deepcopy(M.defaults)

local augroup = nil

--- Settings are accepted flat or already under `kerasLsp`; always return them under `kerasLsp`.
---@param settings table|nil
---@return table
function M.normalize_settings(settings)
  settings = settings or {}
  if settings.kerasLsp ~= nil then
    return settings
  end
  if vim.tbl_isempty(settings) then
    return {}
  end
  return { kerasLsp = settings }
end

---@return vim.lsp.Client[]
function M.clients(filter)
  filter = vim.tbl_extend('force', filter or {}, { name = M.name })
  return vim.lsp.get_clients(filter)
end

local function on_attach(args)
  local client = vim.lsp.get_client_by_id(args.data.client_id)
  if not client or client.name ~= M.name then
    return
  end
  if M.options.inlay_hints and vim.lsp.inlay_hint then
    vim.lsp.inlay_hint.enable(true, { bufnr = args.buf })
  end
end

--- Configure and (by default) enable keras-lsp.
---@param opts? keras_lsp.Options
function M.setup(opts)
  if vim.fn.has('nvim-0.11') == 0 then
    vim.notify('keras_lsp: Neovim 0.11 or newer is required (vim.lsp.config)', vim.log.levels.ERROR)
    return
  end
  opts = opts or {}
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts)

  local config = {}
  for key, value in pairs(opts) do
    if key ~= 'inlay_hints' and key ~= 'settings' and key ~= 'enable' then
      config[key] = value
    end
  end
  local settings = M.normalize_settings(opts.settings)
  if not vim.tbl_isempty(settings) then
    config.settings = settings
  end
  if not vim.tbl_isempty(config) then
    vim.lsp.config(M.name, config)
  end

  augroup = vim.api.nvim_create_augroup('keras_lsp', { clear = true })
  vim.api.nvim_create_autocmd('LspAttach', {
    group = augroup,
    desc = 'keras-lsp: enable inlay hints',
    callback = on_attach,
  })

  if M.options.enable ~= false then
    vim.lsp.enable(M.name)
  end
end

--- Change server settings at run time: merged into each running client's settings and
--- sent with `workspace/didChangeConfiguration`; inlay hints are then requested again.
---@param settings table flat or under `kerasLsp`
function M.update_settings(settings)
  local patch = M.normalize_settings(settings)
  for _, client in ipairs(M.clients()) do
    client.settings = vim.tbl_deep_extend('force', client.settings or {}, patch)
    client:notify('workspace/didChangeConfiguration', { settings = client.settings })
    if vim.lsp.inlay_hint then
      for bufnr in pairs(client.attached_buffers) do
        if vim.lsp.inlay_hint.is_enabled({ bufnr = bufnr }) then
          -- Toggle to drop cached hints and request them again.
          vim.lsp.inlay_hint.enable(false, { bufnr = bufnr })
          vim.lsp.inlay_hint.enable(true, { bufnr = bufnr })
        end
      end
    end
  end
end

--- Toggle Neovim's inlay hints in a buffer (default: current).
---@param bufnr? integer
function M.toggle_inlay_hints(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local filter = { bufnr = bufnr }
  vim.lsp.inlay_hint.enable(not vim.lsp.inlay_hint.is_enabled(filter), filter)
end

return M
